// Haraka's helper packages ship no type declarations; these are the parts we use.
declare module 'haraka-constants' {
  const constants: { OK: number; DENY: number; DENYSOFT: number; DENYDISCONNECT: number; DENYSOFTDISCONNECT: number; CONT: number };
  export default constants;
}

declare module 'haraka-dsn' {
  export interface DsnReply {
    code: number;
    reply: string | string[];
  }
  const DSN: { create(code: number, msg: string | string[], subject: number, detail: number): DsnReply };
  export default DSN;
}
