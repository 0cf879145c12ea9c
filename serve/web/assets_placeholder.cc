// Placeholder for the embedded pages until the ui branch's generated assets.cc replaces
// this file (and the :assets target's srcs): one line of HTML at "/".
#include "serve/web/assets.h"

namespace serve::web {

const std::vector<Asset>& AllAssets() {
  static const auto* assets = new std::vector<Asset>{
      {"/", "text/html; charset=utf-8",
       "<!doctype html><title>deepfake</title><p>deepfake dashboard (pages not built in)</p>\n",
       "\"placeholder-1\""},
  };
  return *assets;
}

const Asset* FindAsset(std::string_view path) {
  for (const Asset& asset : AllAssets()) {
    if (asset.path == path) return &asset;
  }
  return nullptr;
}

}  // namespace serve::web
