import test from 'ava';
import { encodeReplyAttribute, prepareReplyAttribute, randomAuthenticator, replyAttributeOctets, type NamedAttribute } from '../../src/protocol/index.js';
import { TEST_SECRET } from '../../harness/packets.js';
import { projectDictionary } from '../../harness/server.js';

// The transport sizes the largest reply before a request is decided (RFC 2865 §3: at most
// 4096 octets), so the measure of a prepared reply attribute must be exactly what it takes
// in a real reply, encrypted ones included (their padding and salt, RFC 2868 §3.5).

const attributes: NamedAttribute[] = [
  { name: 'Session-Timeout', value: 3600 },
  { name: 'Class', value: 'emergency' },
  { name: 'Reply-Message', value: 'x'.repeat(253) },
  ...[1, 15, 16, 17, 100, 240].map((length): NamedAttribute => ({ name: 'Tunnel-Password', value: 'p'.repeat(length), tag: 1 })),
  ...[1, 16, 17].map((length): NamedAttribute => ({ name: 'Aruba-MPSK-Passphrase', value: 'q'.repeat(length) })),
];

for (const attribute of attributes) {
  test(`the measured length of ${attribute.name} (${String(attribute.value).length} characters) is its length in a reply`, (t) => {
    const dictionary = projectDictionary();
    const prepared = prepareReplyAttribute(dictionary, attribute);
    const inReply = encodeReplyAttribute(dictionary, prepared, { secret: TEST_SECRET, requestAuthenticator: randomAuthenticator() });
    t.is(replyAttributeOctets(dictionary, prepared), 2 + inReply.value.length);
  });
}
