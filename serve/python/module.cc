// _deepfake: the pybind11 extension under the `deepfake` Python package
// (serve/python/deepfake/__init__.py). A thin layer over serve::Detector: every result is
// ResultToJson's object as plain Python values, so Python, the CLI and the C++ API give the
// same numbers. The GIL is released while a detector works (loading, detection, face
// finding, scoring), so Python threads sharing one Detector run in parallel.
//
// Errors: Load failures raise FileNotFoundError (no such model file), ValueError (a file
// that is not a usable checkpoint, bad option values) or RuntimeError (anything else), with
// the C++ message, which names the file. Detection never raises for a bad video: it comes
// back UNDETERMINED with a reason.
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "base/thread_pool.h"
#include "nn/tensor.h"
#include "pybind11/numpy.h"
#include "pybind11/pybind11.h"
#include "pybind11/stl.h"
#include "serve/api/detector.h"
#include "serve/api/result_json.h"
#include "serve/python/py_json.h"
#include "video/preprocess.h"

namespace serve::python {
namespace {

namespace py = pybind11;

// Raises the Python exception that fits a failed Status about `path`.
[[noreturn]] void RaiseStatus(const absl::Status& status, const std::string& path) {
  PyObject* type = PyExc_RuntimeError;
  switch (status.code()) {
    case absl::StatusCode::kNotFound:
      type = std::filesystem::exists(path) ? PyExc_ValueError : PyExc_FileNotFoundError;
      break;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kDataLoss:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kOutOfRange:
      type = PyExc_ValueError;
      break;
    default:
      break;
  }
  PyErr_SetString(type, std::string(status.message()).c_str());
  throw py::error_already_set();
}

py::object ToPython(const DetectionResult& result, bool frames, bool thumbnails) {
  JsonOptions options;
  options.frames = frames;
  options.thumbnails = thumbnails;
  return JsonToPython(ResultToJson(result, options));
}

// [T, 3, H, W] float32 tensor on the CPU -> a NumPy array that owns a copy.
py::array_t<float> TensorToNumpy(const nn::Tensor& tensor) {
  const nn::Tensor cpu = tensor.device().is_cpu() ? tensor : tensor.To(nn::Device::CPU());
  py::array_t<float> array(cpu.shape().ToVector());
  std::memcpy(array.mutable_data(), cpu.data<float>(), cpu.bytes());
  return array;
}

nn::Tensor NumpyToTensor(const py::array_t<float, py::array::c_style | py::array::forcecast>& a) {
  std::vector<int64_t> dims(a.shape(), a.shape() + a.ndim());
  nn::Tensor tensor = nn::Tensor::Empty(nn::Shape(dims));
  std::memcpy(tensor.data<float>(), a.data(), tensor.bytes());
  return tensor;
}

class PyDetector {
 public:
  PyDetector(const std::string& model_path, const std::string& device, int frames,
             const std::string& sampling, int every_k, std::optional<double> threshold,
             int batch_size, int thumbnail_size, const std::string& landmark_model_path) {
    DetectorOptions options;
    options.device = device;
    options.frames = frames;
    options.sampling = sampling;
    options.every_k = every_k;
    options.threshold = threshold.has_value() ? *threshold : -1;
    options.batch_size = batch_size;
    options.thumbnail_size = thumbnail_size;
    options.landmark_model_path = landmark_model_path;
    if (threshold.has_value() && !(*threshold >= 0 && *threshold <= 1)) {
      throw py::value_error(
          absl::StrCat("threshold must be a probability in [0, 1] (got ", *threshold, ")"));
    }
    absl::StatusOr<std::unique_ptr<Detector>> detector;
    {
      py::gil_scoped_release release;
      detector = Detector::Load(model_path, options);
    }
    if (!detector.ok()) RaiseStatus(detector.status(), model_path);
    detector_ = *std::move(detector);
  }

  py::object Detect(const std::string& path, bool explain, bool frames, bool thumbnails) const {
    DetectionResult result;
    {
      py::gil_scoped_release release;
      result = detector_->Detect(path, DetectOptions{explain});
    }
    return ToPython(result, frames, thumbnails);
  }

  // progress(done, total, details) after each video, in input order, on the calling
  // thread's behalf (with the GIL). An exception it raises is re-raised after the batch.
  py::list DetectBatch(const std::vector<std::string>& paths, bool explain, bool frames,
                       bool thumbnails, const py::object& progress) const {
    std::vector<DetectionResult> results;
    std::unique_ptr<py::error_already_set> callback_error;
    BatchCallback callback;
    if (!progress.is_none()) {
      callback = [&](const BatchProgress& p) {
        py::gil_scoped_acquire acquire;
        if (callback_error != nullptr) return;
        try {
          progress(p.done, p.total, ToPython(*p.result, frames, thumbnails));
        } catch (py::error_already_set& e) {
          callback_error = std::make_unique<py::error_already_set>(std::move(e));
        }
      };
    }
    {
      py::gil_scoped_release release;
      results = detector_->DetectBatch(paths, DetectOptions{explain}, callback);
    }
    if (callback_error != nullptr) throw std::move(*callback_error);
    py::list list;
    for (const DetectionResult& result : results) list.append(ToPython(result, frames, thumbnails));
    return list;
  }

  // The model's input for every face track of the video, exactly what Detect feeds it:
  // [{"track_id", "frame_indices", "timestamps", "faces": float32 [T, 3, H, W]}, ...].
  py::list FaceTracks(const std::string& path) const {
    absl::StatusOr<video::PreprocessedVideo> video;
    {
      py::gil_scoped_release release;
      video = video::PreprocessVideo(path, detector_->preset().preprocessing,
                                     detector_->preprocess_options());
    }
    if (!video.ok()) RaiseStatus(video.status(), path);
    py::list tracks;
    for (const video::PreprocessedTrack& track : video->tracks) {
      py::dict entry;
      entry["track_id"] = track.track.id;
      std::vector<int64_t> indices;
      std::vector<double> timestamps;
      for (const video::SampledFrameInfo& frame : video->frames) {
        indices.push_back(frame.index);
        timestamps.push_back(frame.timestamp_seconds);
      }
      entry["frame_indices"] = indices;
      entry["timestamps"] = timestamps;
      entry["faces"] = TensorToNumpy(track.faces);
      tracks.append(entry);
    }
    return tracks;
  }

  // [(P(fake), [per-frame P(fake), ...]), ...] for face tracks [T, 3, H, W] each.
  py::list ScoreFaceTracks(
      const std::vector<py::array_t<float, py::array::c_style | py::array::forcecast>>& arrays)
      const {
    const nn::ModelPreset& preset = detector_->preset();
    const int64_t size = preset.preprocessing.image_size;
    std::vector<nn::Tensor> tracks;
    for (const auto& array : arrays) {
      if (array.ndim() != 4 || array.shape(1) != 3 || array.shape(2) != size ||
          array.shape(3) != size || array.shape(0) < 1) {
        std::vector<int64_t> dims(array.shape(), array.shape() + array.ndim());
        throw py::value_error(absl::StrCat("face track of shape ", nn::Shape(dims).ToString(),
                                           ": expected [T, 3, ", size, ", ", size, "]"));
      }
      tracks.push_back(NumpyToTensor(array));
    }
    std::vector<Detector::TrackScores> scores;
    {
      py::gil_scoped_release release;
      scores = detector_->ScoreFaceTracks(tracks);
    }
    py::list list;
    for (const Detector::TrackScores& s : scores) {
      list.append(py::make_tuple(s.fake_probability, s.frame_scores));
    }
    return list;
  }

  py::dict Model() const {
    const ModelFacts& m = detector_->model();
    py::dict d;
    d["name"] = m.name;
    d["path"] = m.path;
    d["preset"] = m.preset;
    d["sha256"] = m.sha256;
    d["device"] = m.device;
    d["frames"] = m.frames;
    d["image_size"] = m.image_size;
    d["threshold_method"] = m.threshold_method;
    d["labels"] = detector_->preset().labels;
    return d;
  }

  double Threshold() const { return detector_->threshold(); }

 private:
  std::unique_ptr<Detector> detector_;
};

}  // namespace
}  // namespace serve::python

namespace py = pybind11;
using serve::python::PyDetector;

PYBIND11_MODULE(_deepfake, m) {
  m.doc() = "The C++ deepfake detector (serve::Detector); use the `deepfake` package.";
  m.attr("SCHEMA_VERSION") = serve::kResultSchemaVersion;
  m.def(
      "set_num_threads",
      [](int num_threads) {
        if (num_threads < 1) {
          throw py::value_error(absl::StrCat("num_threads must be >= 1 (got ", num_threads, ")"));
        }
        base::SetNumThreads(num_threads);
      },
      py::arg("num_threads"),
      "Threads of the process-wide pool the model and face finding run on (>= 1).");
  m.def("get_num_threads", &base::GetNumThreads);

  py::class_<PyDetector>(m, "Detector")
      .def(py::init<const std::string&, const std::string&, int, const std::string&, int,
                    std::optional<double>, int, int, const std::string&>(),
           py::arg("model_path"), py::arg("device") = "auto", py::arg("frames") = 0,
           py::arg("sampling") = "", py::arg("every_k") = 1, py::arg("threshold") = py::none(),
           py::arg("batch_size") = 8, py::arg("thumbnail_size") = 112,
           py::arg("landmark_model_path") = "")
      .def("detect", &PyDetector::Detect, py::arg("path"), py::arg("explain") = false,
           py::arg("frames") = true, py::arg("thumbnails") = false)
      .def("detect_batch", &PyDetector::DetectBatch, py::arg("paths"), py::arg("explain") = false,
           py::arg("frames") = true, py::arg("thumbnails") = false,
           py::arg("progress") = py::none())
      .def("face_tracks", &PyDetector::FaceTracks, py::arg("path"))
      .def("score_face_tracks", &PyDetector::ScoreFaceTracks, py::arg("tracks"))
      .def_property_readonly("model", &PyDetector::Model)
      .def_property_readonly("threshold", &PyDetector::Threshold);
}
