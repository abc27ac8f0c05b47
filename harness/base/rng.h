// Rng: the small, explicit pseudo-random generator that every random choice in
// a generator or a nemesis comes from.
//
// Why our own: generators must give the same operations for the same seed on
// every platform and standard library, and the standard distributions
// (std::uniform_int_distribution, ...) are implementation-defined. This is
// SplitMix64 (one 64-bit word of state, so copying it into a new generator
// state is free) with an unbiased bounded draw written here.
//
// A plain value; thread-compatible.
#pragma once

#include <cstdint>

namespace faultline {

class Rng {
 public:
  explicit Rng(uint64_t seed = 0) : state_(seed) {}

  // The next 64 uniformly distributed bits.
  uint64_t Next();

  // Uniform in [0, bound); 0 when bound is 0. Unbiased (rejection sampling).
  uint64_t Below(uint64_t bound);

  // Uniform in [0, 1), with 53 bits of precision.
  double Uniform();

  friend bool operator==(const Rng&, const Rng&) = default;

 private:
  uint64_t state_;
};

// A seed for the `stream`-th child of something seeded with `seed`: children
// of one node get unrelated streams, and the same (seed, stream) pair always
// gives the same child seed.
uint64_t DeriveSeed(uint64_t seed, uint64_t stream);

}  // namespace faultline
