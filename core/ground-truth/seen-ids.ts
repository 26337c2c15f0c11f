/**
 * The caller ids met so far in one batch-scoring file, and where each was first seen, in about
 * 24 to 48 bytes per id: a million-row file costs tens of MB, where a Map of strings costs
 * several times that and stops at 2^24 entries. Each id is kept as a 64-bit fingerprint, not its
 * text: two different ids are taken for the same one with probability about n / 2^64 per lookup
 * (1 in 10^13 for n = 1M). The cost of that mistake is one prediction not recorded for the join,
 * so exactness is not worth the memory.
 */
export class SeenIds {
  private high: Uint32Array;
  private low: Uint32Array;
  /** Position + 1 of the first sighting; 0 marks an empty slot. */
  private first: Uint32Array;
  private count = 0;

  constructor(initialSlots = 1024) {
    const slots = 2 ** Math.ceil(Math.log2(Math.max(16, initialSlots)));
    this.high = new Uint32Array(slots);
    this.low = new Uint32Array(slots);
    this.first = new Uint32Array(slots);
  }

  get size(): number {
    return this.count;
  }

  /**
   * Where `id` was first seen, or undefined when this is its first sighting (then `position`, a
   * line or row number from 0 to 2^32 - 2, is kept for it).
   */
  firstSeen(id: string, position: number): number | undefined {
    if (!Number.isInteger(position) || position < 0 || position >= 0xffffffff) {
      throw new RangeError(`position must be an integer from 0 to ${0xffffffff - 1}, received ${position}`);
    }
    const high = fnv1a(id);
    const low = murmurish(id);
    const mask = this.first.length - 1;
    let slot = (low ^ high) & mask;
    while (this.first[slot] !== 0) {
      if (this.high[slot] === high && this.low[slot] === low) return this.first[slot]! - 1;
      slot = (slot + 1) & mask;
    }
    this.high[slot] = high;
    this.low[slot] = low;
    this.first[slot] = position + 1;
    this.count++;
    // At most half full: linear probing stays short.
    if (this.count * 2 > this.first.length) this.grow();
    return undefined;
  }

  private grow(): void {
    const { high, low, first } = this;
    const slots = first.length * 2;
    this.high = new Uint32Array(slots);
    this.low = new Uint32Array(slots);
    this.first = new Uint32Array(slots);
    const mask = slots - 1;
    for (let old = 0; old < first.length; old++) {
      if (first[old] === 0) continue;
      let slot = (low[old]! ^ high[old]!) & mask;
      while (this.first[slot] !== 0) slot = (slot + 1) & mask;
      this.high[slot] = high[old]!;
      this.low[slot] = low[old]!;
      this.first[slot] = first[old]!;
    }
  }
}

/** 32-bit FNV-1a over UTF-16 code units. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** A second, independent 32-bit hash: MurmurHash3's mixing per code unit, then its finalizer. */
function murmurish(text: string): number {
  let hash = 0x9747b28c ^ text.length;
  for (let i = 0; i < text.length; i++) {
    let k = Math.imul(text.charCodeAt(i), 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    hash ^= Math.imul(k, 0x1b873593);
    hash = (hash << 13) | (hash >>> 19);
    hash = (Math.imul(hash, 5) + 0xe6546b64) | 0;
  }
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash >>> 0;
}
