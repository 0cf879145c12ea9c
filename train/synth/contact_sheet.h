// Contact sheet: one PNG grid of thumbnails (a row per clip: the real video, then its
// fakes), so a person can judge the generator's quality at a glance. A thin bar on top of
// each thumbnail marks its label (green real, red fake).
#ifndef TRAIN_SYNTH_CONTACT_SHEET_H_
#define TRAIN_SYNTH_CONTACT_SHEET_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "train/synth/image.h"
#include "train/synth/landmark_smoothing.h"

namespace train::synth {

struct Thumbnail {
  Image image;  // any size; scaled to the sheet's cell
  bool fake = false;
};

// A square crop of `frame` around the face (1.6 face sizes wide), resized to size x size.
Image FaceThumbnail(const Image& frame, const Landmarks& landmarks, int size);

// The grid as an image: cells of cell x cell pixels with a 2-pixel gutter.
Image ComposeContactSheet(const std::vector<std::vector<Thumbnail>>& rows, int cell);

// Composes and writes the sheet as PNG; errors name the path.
absl::Status WriteContactSheet(const std::vector<std::vector<Thumbnail>>& rows, int cell,
                               const std::string& path);

absl::Status WritePng(const Image& image, const std::string& path);

}  // namespace train::synth

#endif  // TRAIN_SYNTH_CONTACT_SHEET_H_
