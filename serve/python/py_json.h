// nlohmann::json -> plain Python objects (dict, list, str, int, float, bool, None), so the
// Python module's results are the same values the JSON output holds, without a text round
// trip. Needs the GIL.
#ifndef SERVE_PYTHON_PY_JSON_H_
#define SERVE_PYTHON_PY_JSON_H_

#include "nlohmann/json.hpp"
#include "pybind11/pybind11.h"

namespace serve::python {

// Dict keys come in nlohmann::json's (sorted) order; doubles are passed bit for bit.
pybind11::object JsonToPython(const nlohmann::json& value);

}  // namespace serve::python

#endif  // SERVE_PYTHON_PY_JSON_H_
