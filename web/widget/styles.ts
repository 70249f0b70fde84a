import { darker } from './colour';

/**
 * The widget's stylesheet, scoped to its shadow root, so the host page's CSS cannot reach in (`all: initial` on the
 * host also stops inherited fonts and colours) and ours cannot leak out. `colour` has already passed the 4.5:1
 * check against white. Focus is GOV.UK-like: a yellow ring with a dark outer ring, visible on any background.
 * Sizes are in em from a 16 px base, targets at least 44 px (WCAG 2.5.8 asks 24).
 */
export function widgetCss(colour: string): string {
  const dark = darker(colour);
  return `
:host{all:initial;display:block;height:5.5em}
*,*::before,*::after{box-sizing:border-box}
[hidden]{display:none!important}
.w{font:400 16px/1.4 helvetica,arial,sans-serif;color:#0b0c0c;-webkit-font-smoothing:antialiased}
.vh{position:absolute!important;width:1px!important;height:1px!important;margin:0!important;padding:0!important;overflow:hidden!important;clip:rect(0 0 0 0)!important;clip-path:inset(50%)!important;white-space:nowrap!important;border:0!important}
button,input,select,textarea{font:inherit;color:inherit;margin:0}
:focus{outline:none}
:focus-visible,.w input:focus,.w textarea:focus,.w select:focus{outline:3px solid #fd0;outline-offset:0;box-shadow:0 0 0 6px #0b0c0c}
.launcher{position:fixed;bottom:1em;right:1em;z-index:2147483000;display:inline-flex;align-items:center;gap:.5em;min-height:48px;min-width:48px;padding:.6em 1.1em;border:2px solid transparent;border-radius:2em;background:${colour};color:#fff;font-weight:700;cursor:pointer;box-shadow:0 2px 6px rgba(0,0,0,.35)}
.w[data-position=left] .launcher{right:auto;left:1em}
.w[data-position=left] .launcher.aside{left:auto;right:1em}
.launcher.aside{right:auto;left:1em}
.launcher.away{visibility:hidden}
.launcher:hover{background:${dark}}
.launcher:focus-visible{outline:3px solid #fd0;box-shadow:0 0 0 6px #0b0c0c}
.launcher svg{width:1.4em;height:1.4em;flex:none;fill:currentColor}
.badge{display:inline-block;min-width:1.5em;padding:0 .35em;border-radius:1em;background:#fff;color:${colour};text-align:center;font-size:.875em}
.panel{position:fixed;bottom:5em;right:1em;z-index:2147483001;display:flex;flex-direction:column;width:24em;max-width:calc(100vw - 2em);height:36em;max-height:calc(100vh - 6.5em);background:#fff;border:2px solid ${dark};border-radius:.5em;box-shadow:0 4px 16px rgba(0,0,0,.35);overflow:hidden;transition:opacity .15s ease,transform .15s ease}
.w[data-position=left] .panel{right:auto;left:1em}
.panel.entering{opacity:0;transform:translateY(1em)}
.header{display:flex;align-items:flex-start;gap:.5em;padding:.75em .75em .75em 1em;background:${colour};color:#fff}
.header-text{flex:1;min-width:0}
.title{margin:0;font-size:1.1875em;font-weight:700;line-height:1.25;overflow-wrap:anywhere}
.subtitle{margin:.25em 0 0;font-size:.875em;overflow-wrap:anywhere}
.subtitle:empty{display:none}
.close{flex:none;display:inline-flex;align-items:center;justify-content:center;width:44px;height:44px;padding:0;border:2px solid transparent;border-radius:4px;background:transparent;color:#fff;cursor:pointer}
.close:hover{background:${dark}}
.close svg{width:1.25em;height:1.25em;fill:currentColor}
.body{flex:1;display:flex;flex-direction:column;min-height:0;overflow-y:auto}
.pad{padding:1em}
.status{margin:0;padding:.5em 1em;background:#f3f2f1;border-bottom:1px solid #b1b4b6;font-size:.875em}
.status:empty{display:none}
.notice{margin:1em 1em 0;padding:.75em;border-left:5px solid ${colour};background:#f3f2f1}
.notice p{margin:0 0 .25em}
.notice p:last-child{margin:0}
.notice strong{display:block;margin-bottom:.25em}
.log{flex:1;min-height:6em;overflow-y:auto;padding:1em;margin:0;list-style:none}
.log:focus-visible{outline-offset:-3px}
.msg{max-width:85%;margin:0 0 .75em}
.msg-resident{margin-left:auto}
.meta{margin:0 0 .15em;font-size:.875em;color:#505a5f}
.msg-resident .meta{text-align:right}
.author{font-weight:700;color:#0b0c0c}
.bubble{padding:.6em .8em;border-radius:.6em;border:1px solid #505a5f;background:#f3f2f1;white-space:pre-wrap;overflow-wrap:anywhere}
.msg-resident .bubble{background:${colour};border-color:${dark};color:#fff}
.msg-system .bubble{background:#fff;border-style:dashed}
.bubble p{margin:0}
.files{margin:.4em 0 0;padding:0;list-style:none}
.files a{display:inline-block;min-height:24px;color:inherit;text-decoration:underline;text-underline-offset:.15em}
.files a:focus-visible{background:#fd0;color:#0b0c0c;box-shadow:0 -2px #fd0,0 4px #0b0c0c;outline:none}
.state{margin:.15em 0 0;font-size:.875em;color:#505a5f;text-align:right}
.state-failed{color:#d4351c;font-weight:700}
.link{display:inline-block;min-height:24px;padding:0;border:0;background:none;color:#1d70b8;text-decoration:underline;text-underline-offset:.15em;cursor:pointer;font-size:inherit}
.link:hover{color:#003078}
.link:focus-visible{background:#fd0;color:#0b0c0c;box-shadow:0 -2px #fd0,0 4px #0b0c0c;outline:none;text-decoration:none}
.typing{margin:0;padding:0 1em;min-height:1.4em;font-size:.875em;color:#505a5f;font-style:italic}
.composer{padding:.75em 1em 1em;border-top:1px solid #b1b4b6}
.field{margin:0 0 1em}
.label{display:block;margin:0 0 .25em;font-weight:700}
.hint{display:block;margin:0 0 .25em;color:#505a5f;font-size:.875em}
.input,.textarea,.select{display:block;width:100%;min-height:44px;padding:.4em;border:2px solid #0b0c0c;border-radius:0;background:#fff}
.textarea{min-height:4.5em;resize:vertical}
.error-field .input,.error-field .textarea{border-color:#d4351c}
.error-field{padding-left:.75em;border-left:5px solid #d4351c}
.error{display:block;margin:0 0 .25em;color:#d4351c;font-weight:700}
.error:empty{display:none}
.summary{margin:0 0 1em;padding:.75em;border:5px solid #d4351c}
.summary h3{margin:0 0 .5em;font-size:1.0625em}
.summary ul{margin:0;padding:0;list-style:none}
.summary a{display:inline-block;min-height:24px;color:#d4351c;font-weight:700;text-decoration:underline}
.summary a:focus-visible{background:#fd0;color:#0b0c0c;box-shadow:0 -2px #fd0,0 4px #0b0c0c;outline:none}
.summary:focus-visible{outline:3px solid #fd0}
.actions{display:flex;flex-wrap:wrap;gap:.5em;align-items:center}
.button{display:inline-flex;align-items:center;justify-content:center;min-height:44px;min-width:44px;padding:.45em 1em;border:2px solid transparent;border-radius:0;background:${colour};color:#fff;font-weight:700;cursor:pointer;box-shadow:0 2px 0 ${dark}}
.button:hover{background:${dark}}
.button-secondary{background:#f3f2f1;color:#0b0c0c;box-shadow:0 2px 0 #929191}
.button-secondary:hover{background:#dbdad9}
.button:focus-visible{background:#fd0;color:#0b0c0c;outline:3px solid transparent;box-shadow:inset 0 0 0 1px #fd0,0 2px 0 #0b0c0c}
.pending-files{margin:.5em 0 0;padding:0;list-style:none;font-size:.875em}
.pending-files li{display:flex;flex-wrap:wrap;gap:.5em;align-items:center}
.end{padding:0 1em 1em}
.end-box{margin:0 1em 1em;padding:.75em;border:2px solid #0b0c0c}
.end-box h3{margin:0 0 .5em;font-size:1em}
.check{display:flex;gap:.5em;align-items:flex-start;margin:0 0 .75em}
.check input{width:24px;height:24px;flex:none;margin:0;accent-color:${colour}}
.check .hint{margin:0}
.spinner{margin:2em auto;text-align:center}
@media (max-width:480px),(max-height:500px){
  :host{height:4.5em}
  .panel{inset:0;width:auto;height:auto;max-width:none;max-height:none;border:0;border-radius:0}
  .w[data-position=left] .panel{left:0}
  .w.open .launcher{display:none}
  .launcher{bottom:.5em;right:.5em}
  .w[data-position=left] .launcher{left:.5em}
  .launcher .label-long{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%);white-space:nowrap}
  .msg{max-width:92%}
}
@media (max-height:500px){.header{padding:.25em .25em .25em .75em}.title{font-size:1em}.log{min-height:4em}}
@media (prefers-reduced-motion:reduce){.panel{transition:none}.panel.entering{transform:none}}
@media (forced-colors:active){.bubble,.button,.launcher,.panel{border:2px solid CanvasText}}
`;
}
