/** "127.0.0.1:1812", "[::1]:1812", "host" (port 1812). */
export function parseServer(text: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]+))(?::(\d{1,5}))?$/.exec(text);
  const port = match?.[3] === undefined ? 1812 : Number(match[3]);
  if (match === null || port < 1 || port > 65535) throw new RangeError(`"${text}" is not HOST[:PORT] (IPv6 in brackets: [::1]:1812)`);
  return { host: match[1] ?? match[2]!, port };
}
