import { HttpStandIn, StandInReply, StandInRequest, StandInResponder, startHttpStandIn } from './http-stand-in';

export type ReceivedRequest = StandInRequest;
export type StandInAnswer = StandInReply;
export type Responder = StandInResponder;

/** The receiving system of an API inbox; `url` is its callback URL (…/hook). */
export type CallbackStandIn = HttpStandIn;

export async function startCallbackStandIn(responder: Responder): Promise<CallbackStandIn> {
  const standIn = await startHttpStandIn(responder);
  return { ...standIn, url: `${standIn.url}/hook` };
}
