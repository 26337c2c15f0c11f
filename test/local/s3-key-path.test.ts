import { compareKeys, decodeKeySegment, encodeKey, encodeKeySegment, isValidBucketName } from '../../local/s3-key-path';

describe('encodeKeySegment', () => {
  it('keeps the on-disk form of ordinary key segments', () => {
    // given
    const segments = ['churn', 'dt=2026-01-01', 'part_0001.v2.csv', 'A-Z a~z(1)+,;:@!$&']; // printable ASCII
    // when
    const encoded = segments.map(encodeKeySegment);
    // then
    expect(encoded).toEqual(segments);
  });

  it('turns the segments a path would interpret into literal names', () => {
    // when
    const encoded = ['.', '..', ''].map(encodeKeySegment);
    // then
    expect(encoded).toEqual(['%2E', '%2E%2E', '%']);
  });

  it('escapes percent, backslash, control characters and non-ASCII as UTF-8 bytes', () => {
    // when
    const encoded = ['100%', 'a\\b', 'tab\there', 'naïve'].map(encodeKeySegment);
    // then
    expect(encoded).toEqual(['100%25', 'a%5Cb', 'tab%09here', 'na%C3%AFve']);
  });

  it("escapes the dot of s3rver's file-name marker so no segment poses as one of its files", () => {
    // when
    const encoded = ['._S3rver_uploads', 'a._s3rver_object'].map(encodeKeySegment);
    // then
    expect(encoded).toEqual(['%2E_S3rver_uploads', 'a%2E_s3rver_object']);
  });
});

describe('decodeKeySegment', () => {
  it('gives back every segment that encodeKeySegment wrote', () => {
    // given
    const segments = ['', '.', '..', '...', '%', '%2F', 'a b+c', '日本語', '😀', '\u0000', '._S3rver_object', 'x.'];
    // when
    const decoded = segments.map((segment) => decodeKeySegment(encodeKeySegment(segment)));
    // then
    expect(decoded).toEqual(segments);
  });

  it('rejects names that encodeKeySegment never writes, so one file name means one key', () => {
    // when
    const decoded = ['%2e', '%zz', '50%', '..', 'na\u00efve', '%C3', '._S3rver_uploads'].map(decodeKeySegment);
    // then
    expect(decoded).toEqual([null, null, null, null, null, null, null]);
  });
});

describe('encodeKey', () => {
  it('gives one literal folder name per segment, so traversal forms stay inside the bucket', () => {
    // when
    const segments = encodeKey('a/../../b//./c');
    // then
    expect(segments).toEqual(['a', '%2E%2E', '%2E%2E', 'b', '%', '%2E', 'c']);
  });
});

describe('compareKeys', () => {
  it("orders keys by their UTF-8 bytes as S3 lists them, not by JavaScript's UTF-16 units", () => {
    // given
    const keys = ['a😀', 'a\ue000', 'a/c', 'a-b', 'a'];
    // when
    const sorted = [...keys].sort(compareKeys);
    // then
    expect(sorted).toEqual(['a', 'a-b', 'a/c', 'a\ue000', 'a😀']);
  });
});

describe('isValidBucketName', () => {
  it('accepts the names S3 accepts', () => {
    expect(['raw-zone', 'mlops-artifacts', 'a.b.c', 'abc', '0x1'].every(isValidBucketName)).toBe(true);
  });

  it('refuses path steps and names S3 refuses', () => {
    expect(['..', '.', '', 'a..b', 'a/b', '..%2F', 'Upper', 'ab', '-ab', 'ab-', 'a_b'].some(isValidBucketName)).toBe(
      false,
    );
  });
});
