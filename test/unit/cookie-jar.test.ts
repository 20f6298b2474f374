import { describe, expect, it } from 'vitest';
import { CookieJar } from '../../src/platform/node/cookie-jar.js';
import { parseCookieHeader } from '../../src/protocol/cookie-header.js';

const O = 'http://proxy.test:80';

describe('CookieJar', () => {
  it('stores Set-Cookie lines per origin and builds the Cookie header', () => {
    const jar = new CookieJar();
    jar.store(O, ['SRVNAME=S1; path=/', 'other=x; HttpOnly']);
    expect(jar.header(O, new Set())).toBe('SRVNAME=S1; other=x');
    expect(jar.header('http://proxy.test:81', new Set())).toBeUndefined(); // another port is another origin
    expect(jar.header(O, new Set(['SRVNAME']))).toBe('other=x');
  });

  it('replaces a cookie of the same name, and deletes on Max-Age=0 or a past Expires', () => {
    let now = 1_000_000;
    const jar = new CookieJar(() => now);
    jar.store(O, ['SRVNAME=S1', 'a=1; Max-Age=10', 'b=2']);
    jar.store(O, ['SRVNAME=S2', 'b=; Expires=Thu, 01 Jan 1970 00:00:00 GMT']);
    expect(jar.header(O, new Set())).toBe('a=1; SRVNAME=S2');
    now += 11_000;
    expect(jar.names(O)).toEqual(['SRVNAME']);
    jar.store(O, ['SRVNAME=; Max-Age=0']);
    expect(jar.header(O, new Set())).toBeUndefined();
  });

  it('ignores malformed and oversized lines, and stays bounded', () => {
    const jar = new CookieJar();
    jar.store(O, ['', '=nameless', `big=${'x'.repeat(5000)}`]);
    expect(jar.names(O)).toEqual([]);
    jar.store(O, Array.from({ length: 100 }, (_, i) => `c${i}=v`));
    expect(jar.names(O)).toHaveLength(32);
    for (let i = 0; i < 100; i++) jar.store(`http://h${i}.test`, ['a=b']);
    expect(jar.names('http://h0.test')).toEqual([]); // the oldest origins were forgotten
    expect(jar.names('http://h99.test')).toEqual(['a']);
  });

  it('drops and adopts', () => {
    const jar = new CookieJar();
    jar.store(O, ['SRVNAME=S1', 'keep=1']);
    jar.drop(O, ['SRVNAME']);
    expect(jar.header(O, new Set())).toBe('keep=1');
    jar.adopt(O, 'SRVNAME', 'S3');
    expect(jar.value(O, 'SRVNAME')).toBe('S3');
  });

  it('parses a Cookie request header', () => {
    expect(parseCookieHeader('a=1; SRVNAME=S2;junk; =x')).toEqual([['a', '1'], ['SRVNAME', 'S2']]);
  });
});
