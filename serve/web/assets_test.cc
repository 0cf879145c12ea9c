// The embedded dashboard assets (assets.h, generated from serve/web/assets/): lookup, content
// types, sha256 ETags, and what the Content-Security-Policy of API.md demands of the pages —
// no inline scripts, styles or handlers, nothing loaded from another origin, no HTML parsing
// of data in scripts — and every page's and module's local reference resolves to an asset.
#include "serve/web/assets.h"

#include <regex>
#include <set>
#include <string>

#include "base/sha256.h"
#include "gtest/gtest.h"

namespace serve::web {
namespace {

// Debian's Abseil has its own string_view, so plain std:: helpers here.
bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}
bool Contains(std::string_view s, std::string_view part) {
  return s.find(part) != std::string_view::npos;
}

TEST(AssetsTest, RootIsIndexHtmlAndUnknownPathsAreAbsent) {
  const Asset* root = FindAsset("/");
  const Asset* index = FindAsset("/index.html");
  ASSERT_NE(root, nullptr);
  ASSERT_NE(index, nullptr);
  EXPECT_EQ(root->data, index->data);
  EXPECT_EQ(root->content_type, "text/html; charset=utf-8");
  EXPECT_TRUE(Contains(root->data, "<main id=\"view\""));
  EXPECT_EQ(FindAsset("/no-such-file.js"), nullptr);
  EXPECT_EQ(FindAsset(""), nullptr);
  EXPECT_EQ(FindAsset("/../BUILD"), nullptr);
}

TEST(AssetsTest, PagesTheServerNeedsExist) {
  for (const char* path : {"/", "/report.html", "/login.html", "/app.css", "/report.css",
                           "/js/main.js", "/js/report.js", "/js/login.js", "/favicon.svg"}) {
    EXPECT_NE(FindAsset(path), nullptr) << path;
  }
}

TEST(AssetsTest, ContentTypesFollowExtensionsAndEtagsAreSha256) {
  ASSERT_GE(AllAssets().size(), 10u);
  std::set<std::string_view> paths;
  for (const Asset& asset : AllAssets()) {
    EXPECT_TRUE(paths.insert(asset.path).second) << "duplicate " << asset.path;
    EXPECT_FALSE(asset.data.empty()) << asset.path;
    EXPECT_EQ(asset.etag, "\"" + base::Sha256Hex(asset.data) + "\"") << asset.path;
    if (EndsWith(asset.path, ".js")) {
      EXPECT_EQ(asset.content_type, "text/javascript; charset=utf-8") << asset.path;
    } else if (EndsWith(asset.path, ".css")) {
      EXPECT_EQ(asset.content_type, "text/css; charset=utf-8") << asset.path;
    } else if (EndsWith(asset.path, ".svg")) {
      EXPECT_EQ(asset.content_type, "image/svg+xml") << asset.path;
    } else if (EndsWith(asset.path, ".html") || asset.path == "/") {
      EXPECT_EQ(asset.content_type, "text/html; charset=utf-8") << asset.path;
    }
  }
}

// default-src 'self' without 'unsafe-inline': inline <script> bodies, <style> elements,
// style="" attributes and on*="" handlers would all be blocked by the browser.
TEST(AssetsTest, PagesHaveNothingTheContentSecurityPolicyBlocks) {
  const std::regex inline_script(R"(<script(?![^>]*\bsrc=)[^>]*>)", std::regex::icase);
  const std::regex style_element(R"(<style[\s>])", std::regex::icase);
  const std::regex style_attribute(R"(<[^>]*\sstyle\s*=)", std::regex::icase);
  const std::regex handler_attribute(R"(<[^>]*\son[a-z]+\s*=)", std::regex::icase);
  int pages = 0;
  for (const Asset& asset : AllAssets()) {
    if (!EndsWith(asset.path, ".html")) continue;
    ++pages;
    const std::string html(asset.data);
    EXPECT_FALSE(std::regex_search(html, inline_script)) << asset.path << ": inline <script>";
    EXPECT_FALSE(std::regex_search(html, style_element)) << asset.path << ": <style>";
    EXPECT_FALSE(std::regex_search(html, style_attribute)) << asset.path << ": style=\"\"";
    EXPECT_FALSE(std::regex_search(html, handler_attribute)) << asset.path << ": on*=\"\"";
  }
  EXPECT_EQ(pages, 3);
}

// Data (file names, messages) reaches the DOM only as text: no HTML parsing in scripts.
TEST(AssetsTest, ScriptsNeverParseHtmlOrEvaluateStrings) {
  for (const Asset& asset : AllAssets()) {
    if (!EndsWith(asset.path, ".js")) continue;
    for (const char* banned : {"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write",
                               "eval(", "new Function", "setAttribute(\"style\""}) {
      EXPECT_FALSE(Contains(asset.data, banned)) << asset.path << " uses " << banned;
    }
  }
}

// Nothing from another origin (no CDN): the only absolute URL is the SVG namespace.
TEST(AssetsTest, NothingIsLoadedFromAnotherOrigin) {
  const std::regex url(R"((https?:)?//[a-z0-9.-]+\.[a-z]{2,}[^\s"')]*)", std::regex::icase);
  for (const Asset& asset : AllAssets()) {
    const std::string text(asset.data);
    for (std::sregex_iterator it(text.begin(), text.end(), url), end; it != end; ++it) {
      const std::string found = it->str();
      EXPECT_TRUE(found == "http://www.w3.org/2000/svg") << asset.path << " refers to " << found;
    }
  }
}

// src="/x" and href="/x" in pages, import ... from "./x.js" in modules, all resolve.
TEST(AssetsTest, LocalReferencesResolve) {
  const std::regex page_ref(R"#((?:src|href)="(/[^"]*\.(?:js|css|svg))")#");
  const std::regex module_ref(R"#(from "\./([^"]+)")#");
  int references = 0;
  for (const Asset& asset : AllAssets()) {
    const std::string text(asset.data);
    const bool html = EndsWith(asset.path, ".html") || asset.path == "/";
    const bool js = EndsWith(asset.path, ".js");
    if (!html && !js) continue;
    const std::regex& pattern = html ? page_ref : module_ref;
    for (std::sregex_iterator it(text.begin(), text.end(), pattern), end; it != end; ++it) {
      std::string target = (*it)[1].str();
      if (js) {
        const std::string dir(asset.path.substr(0, asset.path.rfind('/') + 1));
        target = dir + target;
      }
      ++references;
      EXPECT_NE(FindAsset(target), nullptr) << asset.path << " refers to missing " << target;
    }
  }
  EXPECT_GT(references, 20);
}

}  // namespace
}  // namespace serve::web
