//! The index of a base's C records by struct address (their `key`), so that
//! `event_assign` on a struct that is still pending finds its record without
//! reading a byte of the struct: the struct may be fresh, uninitialised
//! memory, where reading its private bytes would be undefined behaviour
//! (and a valgrind error in every program that assigns a stack event).
//!
//! An open-addressing table of slot numbers with linear probing and
//! backward-shift deletion (no tombstones). It stores only the slot: the
//! key is read from the record, so an entry is 4 bytes and the table stays
//! at most a quarter full (see [`BLOCK_BITS`]). Several records may share a key (a struct re-used
//! while its old record lives on in an unusual way); lookups return one of
//! them, removal takes the exact slot.
//!
//! This module owns the table only; the records' keys are the caller's.

use std::collections::TryReserveError;

use crate::event::{Record, NIL};

/// log2 of the slots in a block: the structs of one 4 KiB page share a
/// block of 64 slots (256 bytes of table), one slot per 64 bytes of the
/// page, so events a program allocated together are entered together, in
/// a few cache lines. A uniform hash costs a cache miss per struct once the
/// table outgrows the cache (at 1M timers `event_add` took 540 ns, 210
/// with blocks). Pages are spread over the blocks by Fibonacci hashing of
/// the page number; a `struct event` is 128 bytes, so a page of them fills
/// half of its block. Pages land on blocks at random, so the table is kept
/// at most a quarter full: with half, a contiguous array of events puts
/// one page per block on average, and the blocks that draw two or three
/// pages fill up and make the runs long (each `event_assign` of a
/// 1000-event array spent 183 instructions in the index, against 58 at a
/// quarter).
const BLOCK_BITS: u32 = 6;
const PAGE_SHIFT: u32 = 12;

/// The home slot of `key` in a table of `2^bits` slots (`bits >=
/// BLOCK_BITS`).
#[inline]
fn hash(key: usize, bits: u32) -> usize {
    let within = (key >> (PAGE_SHIFT - BLOCK_BITS)) & ((1 << BLOCK_BITS) - 1);
    let page_bits = bits - BLOCK_BITS;
    let block = if page_bits == 0 {
        0
    } else {
        ((key as u64 >> PAGE_SHIFT).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> (64 - page_bits))
            as usize
    };
    (block << BLOCK_BITS) | within
}

#[derive(Debug, Default)]
pub(crate) struct KeyIndex {
    table: Vec<u32>,
    bits: u32,
    len: usize,
}

impl KeyIndex {
    /// Makes room for one more entry (fallible), so that
    /// [`KeyIndex::insert`] never allocates.
    #[inline(always)]
    pub(crate) fn reserve_one(&mut self, recs: &[Record]) -> Result<(), TryReserveError> {
        if (self.len + 1) * 4 > self.table.len() {
            self.grow(recs)?;
        }
        Ok(())
    }

    #[cold]
    fn grow(&mut self, recs: &[Record]) -> Result<(), TryReserveError> {
        let bits = (self.bits + 1).max(BLOCK_BITS);
        let mut table = Vec::new();
        table.try_reserve_exact(1 << bits)?;
        table.resize(1 << bits, NIL);
        let old = std::mem::replace(&mut self.table, table);
        self.bits = bits;
        for idx in old.into_iter().filter(|&i| i != NIL) {
            self.place(recs[idx as usize].key, idx);
        }
        Ok(())
    }

    #[inline(always)]
    fn place(&mut self, key: usize, idx: u32) {
        let mask = self.table.len() - 1;
        let mut p = hash(key, self.bits);
        while self.table[p] != NIL {
            p = (p + 1) & mask;
        }
        self.table[p] = idx;
    }

    /// Enters record `idx` under `key` (room was reserved).
    #[inline(always)]
    pub(crate) fn insert(&mut self, key: usize, idx: u32) {
        self.place(key, idx);
        self.len += 1;
    }

    /// Whether no record is entered.
    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// A live record entered under `key`, if any.
    #[inline(always)]
    pub(crate) fn find(&self, key: usize, recs: &[Record]) -> Option<u32> {
        if self.len == 0 {
            return None;
        }
        let mask = self.table.len() - 1;
        let mut p = hash(key, self.bits);
        loop {
            let idx = self.table[p];
            if idx == NIL {
                return None;
            }
            if recs[idx as usize].key == key {
                return Some(idx);
            }
            p = (p + 1) & mask;
        }
    }

    /// Removes record `idx`, entered under `key` (the record still holds
    /// its key: the other entries' homes are computed from theirs).
    #[inline(always)]
    pub(crate) fn remove(&mut self, key: usize, idx: u32, recs: &[Record]) {
        if self.len == 0 {
            return;
        }
        let mask = self.table.len() - 1;
        let mut p = hash(key, self.bits);
        loop {
            match self.table[p] {
                NIL => return, // not entered (cannot happen; nothing to do)
                i if i == idx => break,
                _ => p = (p + 1) & mask,
            }
        }
        self.len -= 1;
        // Backward shift: pull later entries of the run into the hole when
        // their home is not between the hole and them.
        let mut hole = p;
        let mut q = (p + 1) & mask;
        loop {
            let i = self.table[q];
            if i == NIL {
                break;
            }
            let home = hash(recs[i as usize].key, self.bits);
            if (q.wrapping_sub(home) & mask) >= (q.wrapping_sub(hole) & mask) {
                self.table[hole] = i;
                hole = q;
            }
            q = (q + 1) & mask;
        }
        self.table[hole] = NIL;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(key: usize) -> Record {
        let mut r = Record::free(0);
        r.key = key;
        r
    }

    #[test]
    fn insert_find_remove_against_a_model() {
        // Keys that collide a lot (few distinct high bits), inserted and
        // removed in a scrambled order, checked against a plain list.
        let mut recs: Vec<Record> = Vec::new();
        let mut idx = KeyIndex::default();
        let mut live: Vec<(usize, u32)> = Vec::new();
        let mut x: u64 = 0x1234_5678;
        for step in 0..20_000u32 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let key = 0x1000 + ((x % 512) as usize) * 8;
            if x % 3 != 0 || live.is_empty() {
                let i = recs.len() as u32;
                recs.push(rec(key));
                idx.reserve_one(&recs).unwrap();
                idx.insert(key, i);
                live.push((key, i));
            } else {
                let (key, i) = live.swap_remove((x as usize / 3) % live.len());
                idx.remove(key, i, &recs);
                recs[i as usize].key = 0;
            }
            if step % 97 == 0 {
                for k in (0x1000..0x1000 + 512 * 8).step_by(8) {
                    let want = live.iter().any(|&(lk, _)| lk == k);
                    let got = idx.find(k, &recs);
                    assert_eq!(got.is_some(), want, "key {k:#x} at step {step}");
                    if let Some(g) = got {
                        assert_eq!(recs[g as usize].key, k);
                    }
                }
            }
        }
        assert_eq!(idx.len, live.len());
        assert!(idx.table.len() >= 4 * idx.len);
    }

    #[test]
    fn the_structs_of_one_page_share_a_block_and_pages_spread() {
        // 32 `struct event`s (128 bytes) of one page: one block, each at
        // its own home slot, so none probes.
        let bits = 20;
        let page = 0x7f12_3456_7000usize;
        let homes: Vec<usize> = (0..32).map(|i| hash(page + 128 * i, bits)).collect();
        let block = homes[0] >> BLOCK_BITS;
        assert!(homes.iter().all(|&h| h >> BLOCK_BITS == block));
        let mut distinct = homes.clone();
        distinct.sort_unstable();
        distinct.dedup();
        assert_eq!(distinct.len(), 32);
        // One struct per page at the same offset (a stride that defeats
        // plain shifting): the pages' blocks are spread over the table.
        let mut blocks: Vec<usize> = (0..4096)
            .map(|i| hash(0x5555_0000_0040 + (i << 16), bits) >> BLOCK_BITS)
            .collect();
        blocks.sort_unstable();
        blocks.dedup();
        assert!(blocks.len() > 2048, "{} distinct blocks", blocks.len());
        // The smallest table: every key lands inside it.
        assert!((0..1000).all(|i| hash(page + 8 * i * 977, BLOCK_BITS) < 64));
    }

    #[test]
    fn an_empty_index_finds_nothing() {
        let idx = KeyIndex::default();
        assert_eq!(idx.find(0x1000, &[]), None);
    }
}
