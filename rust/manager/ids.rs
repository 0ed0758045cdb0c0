// SPDX-License-Identifier: GPL-2.0

//! Lock ids: the lowest free id ≥ 1 of a lockspace, reused as soon as it is freed.
//!
//! The allocator is a three-level bitmap. A bit of the leaf level is one id; a bit of the
//! middle level says that a leaf word (64 ids) is full; a bit of the top level says that a
//! middle word (4096 ids) is full. Finding the lowest free id reads one word per level after
//! a scan of the top level, which has one word per 262,144 ids: four words for a million
//! locks. Id 0 is never handed out.

use kernel::prelude::*;

/// Bits per bitmap word.
const BITS: usize = 64;

/// Sets bit `bit` of the bitmap `words`, growing it with zero words as needed.
fn set_bit(words: &mut KVVec<u64>, bit: usize) -> Result {
    let word = bit / BITS;
    while words.len() <= word {
        words.push(0, GFP_KERNEL)?;
    }
    if let Some(w) = words.get_mut(word) {
        *w |= 1 << (bit % BITS);
    }
    Ok(())
}

/// Clears bit `bit` of the bitmap `words`; bits beyond its end are clear already.
fn clear_bit(words: &mut KVVec<u64>, bit: usize) {
    if let Some(w) = words.get_mut(bit / BITS) {
        *w &= !(1 << (bit % BITS));
    }
}

/// Returns whether word `word` of `words` has every bit set (missing words are empty).
fn word_full(words: &KVVec<u64>, word: usize) -> bool {
    words.get(word).is_some_and(|w| *w == u64::MAX)
}

/// Returns the lowest clear bit of word `word` of `words`, as a bit number of the bitmap
/// (a missing word counts as empty).
fn first_clear(words: &KVVec<u64>, word: usize) -> usize {
    let w = words.get(word).copied().unwrap_or(0);
    word * BITS + (!w).trailing_zeros() as usize
}

/// The id bitmap of a lockspace.
///
/// # Invariants
///
/// - Bit 0 of `leaf` is set: id 0 is never free.
/// - Bit `w` of `mid` is set if and only if word `w` of `leaf` exists and is all ones.
/// - Bit `v` of `top` is set if and only if word `v` of `mid` exists and is all ones.
/// - `used` is the number of set bits of `leaf` minus one (for id 0).
pub(crate) struct LockIdsInner {
    /// One bit per id: set when the id is in use.
    leaf: KVVec<u64>,
    /// One bit per `leaf` word: set when that word is full.
    mid: KVVec<u64>,
    /// One bit per `mid` word: set when that word is full.
    top: KVVec<u64>,
    /// The number of ids in use.
    used: usize,
}

impl LockIdsInner {
    /// Creates an allocator with every id ≥ 1 free.
    ///
    /// # Errors
    ///
    /// - `ENOMEM` if the first bitmap word cannot be allocated.
    pub(crate) fn new() -> Result<Self> {
        let mut ids = LockIdsInner {
            leaf: KVVec::new(),
            mid: KVVec::new(),
            top: KVVec::new(),
            used: 0,
        };
        // INVARIANT: Id 0 is marked used; the other bitmaps are empty and so consistent.
        set_bit(&mut ids.leaf, 0)?;
        Ok(ids)
    }

    /// Returns the number of ids in use.
    pub(crate) fn used(&self) -> usize {
        self.used
    }

    /// Returns whether id `id` is in use.
    pub(crate) fn is_used(&self, id: u32) -> bool {
        let bit = id as usize;
        self.leaf
            .get(bit / BITS)
            .is_some_and(|w| w & (1 << (bit % BITS)) != 0)
    }

    /// Returns the number of ids marked in use in the bitmap (id 0 not counted), and whether
    /// the summary levels agree with the leaf level.
    pub(crate) fn population(&self) -> (usize, bool) {
        let ones: usize = self.leaf.iter().map(|w| w.count_ones() as usize).sum();
        let full = |words: &KVVec<u64>, w: usize| word_full(words, w);
        let mid_ok = (0..self.leaf.len().max(self.mid.len() * BITS)).all(|w| {
            let bit = self
                .mid
                .get(w / BITS)
                .is_some_and(|m| m & (1 << (w % BITS)) != 0);
            bit == full(&self.leaf, w)
        });
        let top_ok = (0..self.mid.len().max(self.top.len() * BITS)).all(|v| {
            let bit = self
                .top
                .get(v / BITS)
                .is_some_and(|t| t & (1 << (v % BITS)) != 0);
            bit == full(&self.mid, v)
        });
        (ones.saturating_sub(1), mid_ok && top_ok)
    }

    /// Returns the lowest free id, which may lie beyond the bitmap's current end.
    fn lowest_free(&self) -> usize {
        let mut v = self.top.len() * BITS;
        for (t, word) in self.top.iter().enumerate() {
            if *word != u64::MAX {
                v = first_clear(&self.top, t);
                break;
            }
        }
        let w = first_clear(&self.mid, v);
        first_clear(&self.leaf, w)
    }

    /// Frees every id.
    pub(crate) fn reset(&mut self) {
        self.leaf.truncate(1);
        if let Some(w) = self.leaf.get_mut(0) {
            // INVARIANT: Only id 0 stays marked.
            *w = 1;
        }
        self.mid.clear();
        self.top.clear();
        self.used = 0;
    }

    /// Takes the lowest free id.
    ///
    /// # Errors
    ///
    /// - `ENOMEM` if the bitmap cannot grow, or if every `u32` id is in use.
    pub(crate) fn alloc(&mut self) -> Result<u32> {
        let id = self.lowest_free();
        let id32 = u32::try_from(id).map_err(|_| ENOMEM)?;

        // Grow every level first, so that a failure leaves the bitmaps unchanged.
        let word = id / BITS;
        let mid_word = word / BITS;
        while self.leaf.len() <= word {
            self.leaf.push(0, GFP_KERNEL)?;
        }
        while self.mid.len() <= mid_word {
            self.mid.push(0, GFP_KERNEL)?;
        }
        while self.top.len() <= mid_word / BITS {
            self.top.push(0, GFP_KERNEL)?;
        }

        // INVARIANT: The id is marked, then each full word is recorded one level up.
        set_bit(&mut self.leaf, id)?;
        if word_full(&self.leaf, word) {
            set_bit(&mut self.mid, word)?;
            if word_full(&self.mid, mid_word) {
                set_bit(&mut self.top, mid_word)?;
            }
        }
        self.used += 1;
        Ok(id32)
    }

    /// Returns `id` to the pool; freeing id 0 or a free id does nothing.
    pub(crate) fn free(&mut self, id: u32) {
        let id = id as usize;
        let word = id / BITS;
        let in_use = self
            .leaf
            .get(word)
            .is_some_and(|w| *w & (1 << (id % BITS)) != 0);
        if id == 0 || !in_use {
            return;
        }
        // INVARIANT: A word that loses a bit is no longer full at any level.
        clear_bit(&mut self.leaf, id);
        clear_bit(&mut self.mid, word);
        clear_bit(&mut self.top, word / BITS);
        self.used -= 1;
    }
}

/// KUnit tests (suite `rdlm_ids`).
#[cfg(CONFIG_RDLM_KUNIT_TEST)]
#[kunit_tests(rdlm_ids)]
mod tests {
    use super::*;

    /// Row 49: ids start at 1 and go up while none is freed.
    #[test]
    fn row49_ids_start_at_one() -> Result {
        let mut ids = LockIdsInner::new()?;
        for want in 1..=200u32 {
            assert_eq!(ids.alloc()?, want);
        }
        assert_eq!(ids.used(), 200);
        Ok(())
    }

    /// Row 49: the lowest freed id is reused at once.
    #[test]
    fn row49_lowest_free_id_reused() -> Result {
        let mut ids = LockIdsInner::new()?;
        for _ in 0..10 {
            ids.alloc()?;
        }
        ids.free(7);
        ids.free(3);
        assert_eq!(ids.alloc()?, 3);
        assert_eq!(ids.alloc()?, 7);
        assert_eq!(ids.alloc()?, 11);
        ids.free(0);
        ids.free(11);
        ids.free(11);
        assert_eq!(ids.used(), 10);
        assert_eq!(ids.alloc()?, 11);
        Ok(())
    }

    /// Row 49: word and level boundaries (64 and 4096 ids) keep the lowest-free rule.
    #[test]
    fn row49_ids_across_bitmap_levels() -> Result {
        let mut ids = LockIdsInner::new()?;
        let n = 3 * 4096 + 100;
        for _ in 0..n {
            ids.alloc()?;
        }
        for id in [63u32, 64, 4095, 4096, 8191, 8192, 12000] {
            ids.free(id);
        }
        for want in [63u32, 64, 4095, 4096, 8191, 8192, 12000] {
            assert_eq!(ids.alloc()?, want);
        }
        let next = u32::try_from(n + 1).map_err(|_| EINVAL)?;
        assert_eq!(ids.alloc()?, next);
        Ok(())
    }
}
