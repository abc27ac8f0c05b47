#include "harness/base/rng.h"

namespace faultline {
namespace {

// The SplitMix64 output function: a bijective mix of 64 bits.
uint64_t Mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

constexpr uint64_t kGoldenGamma = 0x9e3779b97f4a7c15ULL;

}  // namespace

uint64_t Rng::Next() {
  state_ += kGoldenGamma;
  return Mix64(state_);
}

uint64_t Rng::Below(uint64_t bound) {
  if (bound == 0) return 0;
  // Lemire's multiply-and-shift: the high word of x * bound is uniform in
  // [0, bound) once the few low words below `threshold` are rejected.
  const uint64_t threshold = (0 - bound) % bound;
  while (true) {
    const unsigned __int128 product = static_cast<unsigned __int128>(Next()) * bound;
    if (static_cast<uint64_t>(product) >= threshold) {
      return static_cast<uint64_t>(product >> 64);
    }
  }
}

double Rng::Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }

uint64_t DeriveSeed(uint64_t seed, uint64_t stream) {
  return Mix64(Mix64(seed + kGoldenGamma) ^ Mix64(stream * kGoldenGamma + 1));
}

}  // namespace faultline
