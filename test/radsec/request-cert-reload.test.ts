import { readFileSync } from 'node:fs';
import test from 'ava';
import type { RadgateConfig } from '../../src/config/types.js';
import { PacketCode } from '../../src/protocol/codes.js';
import type { Gateway } from '../../src/serve/gateway.js';
import { writeTestConfig } from '../../harness/config.js';
import { statusServer } from '../../harness/packets.js';
import { makeRadsecFiles, RADSEC_SECRET, radsecSection, tlsPeer, type RadsecFiles } from '../../harness/radsec.js';
import { startStack, type Stack } from '../../harness/stack.js';

// Started with PSK clients only, then given a certificate client by a reload: the listener
// asks every peer for a certificate from the start, so the new client gets in.

let files: RadsecFiles;
let stack: Stack;
let gateway: Gateway;

test.before(async () => {
  files = await makeRadsecFiles();
  const pskOnly = `radsec:
  listen: ["127.0.0.1:0"]
  certificate_file: ${files.dir}/server.pem
  key_file: ${files.dir}/server.key
  psk_file: ${files.dir}/psk.txt
  clients:
    - name: fr-psk
      psk_identity: fr-psk
`;
  stack = await startStack({ extra: pskOnly });
  gateway = await stack.startGateway();
});

test.after.always(async () => {
  await stack?.close();
});

test('a certificate client added by a reload to a PSK-only start is let in and answered', async (t) => {
  const reloaded = writeTestConfig('redis://127.0.0.1:1', { extra: radsecSection(files) }).config;
  gateway.config.replace({ ...gateway.config.current, radsec: reloaded.radsec } as RadgateConfig);
  const port = gateway.radsec!.addresses()[0]!.port;
  const peer = await tlsPeer(port, { cert: readFileSync(files.client.cert), key: readFileSync(files.client.key) });
  peer.write(statusServer({ secret: RADSEC_SECRET }));
  t.is((await peer.reply())?.code, PacketCode.AccessAccept);
  peer.close();
});
