// The canonical face: dlib's mean shape, a jaw line, and its placement in aligned crops.
#include "train/synth/face_template.h"

#include <cmath>

#include "nn/check.h"
#include "video/align.h"

namespace train::synth {

Landmarks MeanFaceLandmarks() {
  // dlib/image_transforms/interpolation.h, mean_face_shape_x/y (landmarks 17..67).
  static const double kX[51] = {
      0.000213256, 0.0752622, 0.18113,  0.29077,  0.393397, 0.586856, 0.689483, 0.799124, 0.904991,
      0.98004,     0.490127,  0.490127, 0.490127, 0.490127, 0.36688,  0.426036, 0.490127, 0.554217,
      0.613373,    0.121737,  0.187122, 0.265825, 0.334606, 0.260918, 0.182743, 0.645647, 0.714428,
      0.793132,    0.858516,  0.79751,  0.719335, 0.254149, 0.340985, 0.428858, 0.490127, 0.551395,
      0.639268,    0.726104,  0.642159, 0.556721, 0.490127, 0.423532, 0.338094, 0.290379, 0.428096,
      0.490127,    0.552157,  0.689874, 0.553364, 0.490127, 0.42689};
  static const double kY[51] = {
      0.106454, 0.038915, 0.0187482, 0.0344891, 0.0773906, 0.0773906, 0.0344891, 0.0187482,
      0.038915, 0.106454, 0.203352,  0.307009,  0.409805,  0.515625,  0.587326,  0.609345,
      0.628106, 0.609345, 0.587326,  0.216423,  0.178758,  0.179852,  0.231733,  0.245099,
      0.244077, 0.231733, 0.179852,  0.178758,  0.216423,  0.244077,  0.245099,  0.780233,
      0.745405, 0.727388, 0.742578,  0.727388,  0.745405,  0.780233,  0.864805,  0.902192,
      0.909281, 0.902192, 0.864805,  0.784792,  0.778746,  0.785343,  0.778746,  0.784792,
      0.824182, 0.831803, 0.824182};
  Landmarks lm(68);
  // Jaw: half an ellipse from the left temple (at eye height) through the chin to the right
  // temple: x = 0.49 + 0.52 cos(theta), y = 0.22 + 0.85 sin(theta), theta = pi .. 0.
  for (int i = 0; i <= 16; ++i) {
    const double theta = M_PI - i * M_PI / 16;
    lm[i] = {0.49 + 0.52 * std::cos(theta), 0.22 + 0.85 * std::sin(theta)};
  }
  for (int i = 17; i < 68; ++i) lm[i] = {kX[i - 17], kY[i - 17]};
  return lm;
}

Landmarks ApplySimilarity(const Landmarks& from, const Landmarks& to, const Landmarks& points) {
  NN_CHECK(from.size() == to.size() && from.size() >= 2) << "similarity needs matched points";
  // Minimize sum |s R p + t - q|^2: with centred p', q', the optimum (Umeyama) is
  //   [a, b] = [sum p'.q', sum p' x q'] / sum |p'|^2,  x -> (a x - b y, b x + a y) + t.
  const double n = from.size();
  double px = 0, py = 0, qx = 0, qy = 0;
  for (size_t i = 0; i < from.size(); ++i) {
    px += from[i].x / n, py += from[i].y / n, qx += to[i].x / n, qy += to[i].y / n;
  }
  double dot = 0, cross = 0, norm = 0;
  for (size_t i = 0; i < from.size(); ++i) {
    const double ax = from[i].x - px, ay = from[i].y - py, bx = to[i].x - qx, by = to[i].y - qy;
    dot += ax * bx + ay * by, cross += ax * by - ay * bx, norm += ax * ax + ay * ay;
  }
  NN_CHECK(norm > 0) << "similarity of coincident points";
  const double a = dot / norm, b = cross / norm;
  Landmarks out(points.size());
  for (size_t i = 0; i < points.size(); ++i) {
    const double x = points[i].x - px, y = points[i].y - py;
    out[i] = {a * x - b * y + qx, b * x + a * y + qy};
  }
  return out;
}

Landmarks AlignedCropLandmarks(int size, double margin) {
  const Landmarks mean = MeanFaceLandmarks();
  auto centre = [&](int first, int last) {
    Point c{0, 0};
    for (int i = first; i <= last; ++i) c.x += mean[i].x, c.y += mean[i].y;
    return Point{c.x / (last - first + 1), c.y / (last - first + 1)};
  };
  const Landmarks from = {centre(36, 41), centre(42, 47), centre(48, 67)};
  // Template points in the unit face box, then the box in the crop: the crop spans `margin`
  // box sides centred on the box.
  auto in_crop = [&](double bx, double by) {
    return Point{((bx - 0.5) / margin + 0.5) * size - 0.5,
                 ((by - 0.5) / margin + 0.5) * size - 0.5};
  };
  const Landmarks to = {in_crop(video::kTemplateLeftEyeX, video::kTemplateEyeY),
                        in_crop(video::kTemplateRightEyeX, video::kTemplateEyeY),
                        in_crop(video::kTemplateMouthX, video::kTemplateMouthY)};
  return ApplySimilarity(from, to, mean);
}

}  // namespace train::synth
