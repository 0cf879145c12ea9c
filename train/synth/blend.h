// Blending a warped source face into a target frame: alpha compositing with a feathered
// mask, and Poisson (seamless) cloning that keeps the source's gradients inside the mask
// while matching the target exactly on the mask's boundary (Perez et al. 2003).
#ifndef TRAIN_SYNTH_BLEND_H_
#define TRAIN_SYNTH_BLEND_H_

#include "train/synth/image.h"

namespace train::synth {

// dst = dst * (1 - ratio * mask) + source * ratio * mask, per pixel. Sizes must match.
void AlphaBlend(const Image& source, const Mask& mask, double ratio, Image* dst);

struct PoissonOptions {
  float region_threshold = 0.01f;  // pixels with mask above this are unknowns
  int max_iterations = 400;        // conjugate-gradient iterations per channel
  double tolerance = 1e-3;         // stop when |residual| / |b| falls below this
};

// Seamless cloning. With Omega = {mask > threshold} and f* = dst outside Omega, solves
//   Laplace(f) = Laplace(source)  in Omega,   f = f* on the boundary of Omega,
// i.e. the discrete 5-point system, for each pixel p in Omega with neighbours N(p):
//   |N(p)| f_p - sum_{q in N(p), q in Omega} f_q
//       = sum_{q in N(p), q not in Omega} f*_q + sum_{q in N(p)} (g_p - g_q),   g = source,
// by conjugate gradients (the matrix is symmetric positive definite), started from the
// upsampled solution of the half-resolution problem (recursively). Writes f into
// `result` (a copy of dst with Omega replaced). Returns the largest final relative residual.
double PoissonBlend(const Image& source, const Mask& mask, const Image& dst,
                    const PoissonOptions& options, Image* result);

}  // namespace train::synth

#endif  // TRAIN_SYNTH_BLEND_H_
