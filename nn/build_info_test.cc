#include "nn/build_info.h"

#include "gtest/gtest.h"

namespace nn {
namespace {

TEST(BuildInfoTest, EigenVersionIsTheInstalledOne) {
  // third_party/debian.lock pins libeigen3-dev 3.4.0.
  EXPECT_EQ(EigenVersion(), "3.4.0");
}

TEST(BuildInfoTest, CudaDescriptionMatchesTheBuild) {
  const std::string description = CudaDescription();
  if (CudaCompiledIn()) {
    EXPECT_EQ(description.rfind("compiled in (CUDA runtime ", 0), 0u) << description;
  } else {
    EXPECT_EQ(description, "not compiled in (build with --config=cuda)");
  }
}

}  // namespace
}  // namespace nn
