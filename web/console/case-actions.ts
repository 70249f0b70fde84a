import { uploadCaseAttachment } from './api';
import { CaseActions, CaseView } from './case-view';
import { uploadError } from './reply-files';
import { Connection } from './connection';
import { Ack, CaseSummary, MessageView } from './protocol';
import { QueueView } from './queue';
import { Store } from './state';

export interface CaseActionDeps {
  store: Store;
  conn(): Connection;
  /** The case on screen now. */
  view(): CaseView | null;
  queue(): QueueView | null;
  /** A message the hub acknowledged, handled like a pushed one (pushes of it later are recognised by id). */
  onMessage(m: MessageView): void;
  /** Cases being claimed from this console: their assignment push is not news. */
  claiming: Set<string>;
}

/**
 * What the buttons and forms of a case do: one command each, its acknowledgement applied to the store, and its
 * failure shown on the case as the hub worded it. The case is the one on screen when the agent acted.
 */
export function caseActions(deps: CaseActionDeps): CaseActions {
  const { store } = deps;
  const current = () => deps.view()!;
  const applied = (view: CaseView, ack: Ack<{ case: CaseSummary }>, done: string): boolean => {
    if (!ack.ok) {
      view.showError(ack.error.message);
      return false;
    }
    view.showError(null);
    store.putCase(ack.case);
    deps.queue()?.changed();
    if (deps.view() === view) view.render();
    deps.queue()?.announcer.say(done);
    return true;
  };
  const textAck = (ack: Ack<{ message: MessageView }>): string | null => {
    if (!ack.ok) return ack.error.message;
    deps.onMessage(ack.message);
    return null;
  };

  /**
   * One clientId per draft, so the hub recognises a reply sent twice (a double press, a command retried after a
   * timeout or a dropped socket) and stores and sends it once, acking the repeat with the same message. The draft is
   * the case and what is sent (the text and files, or the template): the same draft keeps its clientId while it is
   * being sent and after a failure, so "Send reply" again is the same reply if the first did reach the hub. The id
   * is dropped once the hub accepted the reply (the next one is new, even with the same words), and a changed draft
   * (edited after a failure) gets a new one: the agent means the new words to go, not the first attempt's ack.
   */
  const drafts = new Map<string, { draft: string; clientId: string | undefined }>();
  const sendDraft = async (caseId: string, draft: string, payload: { text?: string; templateId?: string; attachmentIds?: string[] }): Promise<string | null> => {
    let current = drafts.get(caseId);
    if (current?.draft !== draft) {
      current = { draft, clientId: crypto.randomUUID?.() };
      drafts.set(caseId, current);
    }
    const ack = await deps.conn().command('case:reply', { caseId, ...payload, clientId: current.clientId });
    if (ack.ok && drafts.get(caseId) === current) drafts.delete(caseId);
    return textAck(ack);
  };

  const actions: CaseActions = {
    claim: async (takeOver) => {
      const view = current();
      deps.claiming.add(view.caseId);
      const ack = await deps.conn().command('case:claim', { caseId: view.caseId, takeOver: takeOver || undefined });
      deps.claiming.delete(view.caseId);
      if (applied(view, ack, `You now own case ${view.case.reference}.`)) view.focusReply();
    },
    release: async () => {
      const view = current();
      applied(view, await deps.conn().command('case:release', { caseId: view.caseId }), `Case ${view.case.reference} is back in the queue.`);
    },
    changeStatus: async (status) => {
      const view = current();
      return applied(view, await deps.conn().command('case:status', { caseId: view.caseId, status }), `Status changed to ${status}.`);
    },
    changePriority: async (priority) => {
      const view = current();
      return applied(view, await deps.conn().command('case:priority', { caseId: view.caseId, priority }), `Priority changed to ${priority}.`);
    },
    transfer: async (departmentId, note, agent) => {
      const view = current();
      const ack = await deps.conn().command('case:transfer', { caseId: view.caseId, departmentId, agentId: agent?.id, note: note || undefined });
      return applied(view, ack, `Case transferred to ${agent ? agent.name : store.departmentName(departmentId)}.`);
    },
    colleagues: async (departmentId) => {
      const view = current();
      const ack = await deps.conn().command('case:colleagues', { caseId: view.caseId, departmentId });
      if (ack.ok) return ack.agents;
      view.showError(`The list of colleagues could not be loaded: ${ack.error.message}`);
      return null;
    },
    reply: (text, attachmentIds) =>
      sendDraft(current().caseId, JSON.stringify(['text', text, attachmentIds]), { text, attachmentIds: attachmentIds.length ? attachmentIds : undefined }),
    attach: async (file) => {
      const res = await uploadCaseAttachment(current().caseId, file);
      return res.status === 201 ? { attachment: res.body.attachment } : { error: uploadError(file, res.status, res.error) };
    },
    note: async (text) => textAck(await deps.conn().command('case:note', { caseId: current().caseId, text })),
    sendTemplate: (templateId) => sendDraft(current().caseId, JSON.stringify(['template', templateId]), { templateId }),
    refreshCompose: async () => {
      const view = deps.view();
      if (!view) return;
      const ack = await deps.conn().command('case:compose-options', { caseId: view.caseId });
      // A failure leaves the composer as it was: the hub still refuses at sending what it must.
      if (ack.ok && deps.view() === view) view.setCompose(ack.compose);
    },
    canned: async (cannedId) => {
      const view = current();
      const ack = await deps.conn().command('case:canned', { caseId: view.caseId, cannedId });
      if (ack.ok) return ack.text;
      view.showError(ack.error.message);
      return null;
    },
    typing: (typing) => {
      const view = deps.view();
      if (view) void deps.conn().command('case:typing', { caseId: view.caseId, typing });
    },
    fix: (fix) => void actions.claim(fix === 'take-over'),
    retry: async (messageId, retryButton) => {
      const view = current();
      retryButton.disabled = true;
      const ack = await deps.conn().command('message:retry', { messageId });
      if (!ack.ok) {
        retryButton.disabled = false;
        view.showError(`The reply could not be sent again: ${ack.error.message}`);
        return;
      }
      view.showError(null);
      deps.onMessage(ack.message);
      deps.queue()?.announcer.say('Sending the reply again.');
    },
    closeView: () => {
      location.hash = '#/';
    },
  };
  return actions;
}
