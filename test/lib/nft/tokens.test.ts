import { describe, expect, it } from 'vitest';
import { ErrorCode, isCniError } from '../../../lib/cni/errors.js';
import {
  checkComment,
  checkLiteral,
  checkName,
  checkRuleText,
  checkType,
  checkValueLiteral,
  quoteIfname,
  renderComment,
} from '../../../lib/nft/tokens.js';

function rejected(fn: () => unknown): boolean {
  try {
    fn();
  } catch (e) {
    return isCniError(e, ErrorCode.InvalidNetworkConfig);
  }
  return false;
}

// Attempts to smuggle nft syntax through a value: new commands, statements, line
// comments, variables, includes, quotes. Rule text may hold `{ a, b }` (anonymous sets)
// and comments may hold `,`; every other value may not hold these either.
const structural = ['x }', 'x {', 'a, b'];
const injections = [
  'x\nflush ruleset',
  'x; flush ruleset',
  'x\rdelete table inet other',
  'x # rest',
  'x"',
  '"x',
  '$var',
  'include "/etc/passwd"',
  'x\tdrop',
  'x\\n',
  "x'",
  '',
];

describe('checkName', () => {
  it.each(['cni_zones', 'zone_masq_v4', 'a', 'A1', 'x'.repeat(64)])('accepts %j', (name) => {
    expect(checkName('table', name)).toBe(name);
  });

  it.each([...injections, ...structural, '1abc', '_x', 'a-b', 'a.b', 'a b', 'x'.repeat(65), 'inet other'])('rejects %j', (name) => {
    expect(rejected(() => checkName('table', name))).toBe(true);
  });

  it('says what was wrong', () => {
    expect(() => checkName('chain', 'a b')).toThrow('invalid nft chain name "a b"');
  });
});

describe('comments', () => {
  it.each(['zone:web', 'container 0123abcd', 'cnitool-0123456789abcdef0123', 'a/b@c+d=e,f(g)', 'x'.repeat(128)])(
    'accepts %j',
    (comment) => {
      expect(checkComment(comment)).toBe(comment);
    },
  );

  it.each([...injections, 'x }', 'x {', 'say "hi"', 'x'.repeat(129), 'ünïcode'])('rejects %j', (comment) => {
    expect(rejected(() => checkComment(comment))).toBe(true);
  });

  it('renders quoted', () => {
    expect(renderComment('zone:web')).toBe('comment "zone:web"');
  });
});

describe('element literals', () => {
  it.each(['10.89.0.0/24', '10.0.0.1', '10.0.0.1-10.0.0.9', 'fd89::/64', '::1', '8080', '80-90', 'tcp', '0x10', '"vz-web"'])(
    'accepts %j',
    (literal) => {
      expect(checkLiteral(literal)).toBe(literal);
    },
  );

  it.each([...injections, ...structural, '10.0.0.1 . 80', '10.0.0.1 comment "x"', '1 : 2', '@set', '"a b"', '"vz"web"', '-1', '.5', '"'])(
    'rejects %j',
    (literal) => {
      expect(rejected(() => checkLiteral(literal))).toBe(true);
    },
  );

  it('allows verdicts as map values only', () => {
    expect(checkValueLiteral('accept')).toBe('accept');
    expect(checkValueLiteral('jump zone_web')).toBe('jump zone_web');
    expect(checkValueLiteral('goto zone_web')).toBe('goto zone_web');
    expect(checkValueLiteral('10.89.0.2')).toBe('10.89.0.2');
    expect(rejected(() => checkLiteral('jump zone_web'))).toBe(true);
    expect(rejected(() => checkValueLiteral('jump zone_web; flush ruleset'))).toBe(true);
    expect(rejected(() => checkValueLiteral('jump  x'))).toBe(true);
  });
});

describe('quoteIfname', () => {
  it('quotes valid interface names', () => {
    expect(quoteIfname('vz-web')).toBe('"vz-web"');
    expect(quoteIfname('eth0.100')).toBe('"eth0.100"');
  });

  it.each([...injections, ...structural, 'x'.repeat(16), 'vz web', 'a/b', 'a:b'])('rejects %j', (name) => {
    expect(rejected(() => quoteIfname(name))).toBe(true);
  });
});

describe('checkType', () => {
  it.each(['ipv4_addr', 'ipv4_addr . inet_service', 'inet_proto . inet_service', 'ipv6_addr . ifname', 'verdict'])('accepts %j', (type) => {
    expect(checkType(type)).toBe(type);
  });

  it.each([...injections, ...structural, 'ipv4_addr.inet_service', 'ipv4_addr ; flags interval', 'ipv4_addr : verdict', 'IPV4'])(
    'rejects %j',
    (type) => {
      expect(rejected(() => checkType(type))).toBe(true);
    },
  );
});

describe('checkRuleText', () => {
  it.each([
    'ip saddr @zone_masq_v4 masquerade',
    'ip saddr . oifname @zone_local_v4 return',
    'oifname != "vz-web" masquerade',
    'meta l4proto { tcp, udp } th dport 8080 dnat ip to 10.89.0.2:80',
    'ip daddr . meta l4proto . th dport vmap @ports',
    'ct status dnat ip saddr 127.0.0.0/8 masquerade',
    'iifname "veth*" accept',
    'meta mark & 0x1 == 0x1 accept',
    'jump zone_web',
  ])('accepts %j', (rule) => {
    expect(checkRuleText(rule)).toBe(rule);
  });

  it.each([
    ...injections,
    'accept\nflush ruleset',
    'accept; delete table inet other',
    'accept comment "mine"',
    'oifname "vz web" accept',
    'oifname "vz\\"x" accept',
    'handle 4 accept',
    'index 0 accept',
    'position 3 accept',
    ' accept',
    'accept ',
    'ip  saddr 1.2.3.4 accept',
    'ip saddr $net accept',
    'x'.repeat(1025),
  ])('rejects %j', (rule) => {
    expect(rejected(() => checkRuleText(rule))).toBe(true);
  });

  it('allows "comment" inside a quoted name and as part of a word', () => {
    expect(checkRuleText('iifname "comment" accept')).toBe('iifname "comment" accept');
    expect(checkRuleText('jump comments_chain')).toBe('jump comments_chain');
  });
});
