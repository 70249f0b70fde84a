/** socket.io room names, one place: a room per agent, per department and per case. */
export const Rooms = {
  agent: (id: string) => `agent:${id}`,
  department: (id: string) => `department:${id}`,
  case: (id: string) => `case:${id}`,
} as const;

