// Content sniffing of real clips and of files that only look like videos by name, and
// file name sanitising (traversal, markup, control bytes, bad UTF-8, length).
#include "serve/web/upload.h"

#include <fstream>
#include <sstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace serve::web {
namespace {

std::string Head(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string head(kSniffBytes, '\0');
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  head.resize(static_cast<size_t>(in.gcount()));
  return head;
}

TEST(SniffVideoTypeTest, RealClipsAreRecognised) {
  EXPECT_EQ(SniffVideoType(Head("train/testdata/videos/real_retalking_face2.mp4")), "video/mp4");
  EXPECT_EQ(SniffVideoType(Head("video/testdata/retalking_face2_2s.mp4")), "video/mp4");
}

TEST(SniffVideoTypeTest, ContainerSignatures) {
  EXPECT_EQ(SniffVideoType(std::string("\0\0\0\x14"
                                       "ftypqt  ",
                                       12)),
            "video/quicktime");
  EXPECT_EQ(SniffVideoType(std::string("\x1a\x45\xdf\xa3\x9f\x42\x82\x84webm", 12)), "video/webm");
  EXPECT_EQ(SniffVideoType(std::string("\x1a\x45\xdf\xa3\x9f\x42\x82\x88matroska", 16)),
            "video/x-matroska");
  EXPECT_EQ(SniffVideoType(std::string("RIFF\x10\0\0\0"
                                       "AVI LIST",
                                       16)),
            "video/x-msvideo");
  EXPECT_EQ(SniffVideoType("FLV\x01\x05"), "video/x-flv");
  std::string ts(400, '\xff');
  ts[0] = ts[188] = ts[376] = 0x47;
  EXPECT_EQ(SniffVideoType(ts), "video/mp2t");
}

TEST(SniffVideoTypeTest, OtherContentIsNotAVideo) {
  EXPECT_EQ(SniffVideoType(""), "");
  EXPECT_EQ(SniffVideoType("hello, I am a text file named clip.mp4"), "");
  EXPECT_EQ(SniffVideoType("\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), "");
  EXPECT_EQ(SniffVideoType("<!doctype html><script>alert(1)</script>"), "");
  EXPECT_EQ(SniffVideoType("RIFF\x10\0\0\0WAVEfmt "), "");  // audio, not AVI
  EXPECT_EQ(SniffVideoType(std::string(400, 'x')), "");
}

TEST(UploadFileNameTest, ExtensionFollowsTheSniffedType) {
  EXPECT_EQ(UploadFileName("video/mp4"), "upload.mp4");
  EXPECT_EQ(UploadFileName("video/webm"), "upload.webm");
  EXPECT_EQ(UploadFileName("text/plain"), "upload.bin");
}

TEST(SanitizeFileNameTest, NoPathsNoMarkupNoControlBytes) {
  EXPECT_EQ(SanitizeFileName("clip.mp4"), "clip.mp4");
  EXPECT_EQ(SanitizeFileName("../../etc/passwd"), "passwd");
  EXPECT_EQ(SanitizeFileName("C:\\Users\\me\\Videos\\talk.mov"), "talk.mov");
  EXPECT_EQ(SanitizeFileName("<script>alert(1)</script>.mp4"), "script_.mp4");
  EXPECT_EQ(SanitizeFileName("a\"b'c&d`e<f>g.mp4"), "a_b_c_d_e_f_g.mp4");
  EXPECT_EQ(SanitizeFileName(std::string("a\0b\nc\x7f.mp4", 10)), "a_b_c_.mp4");
  EXPECT_EQ(SanitizeFileName("..."), "upload");
  EXPECT_EQ(SanitizeFileName(".hidden.mp4"), "hidden.mp4");
  EXPECT_EQ(SanitizeFileName(""), "upload");
  EXPECT_EQ(SanitizeFileName("/"), "upload");
  EXPECT_EQ(SanitizeFileName("interview d\xc3\xa9j\xc3\xa0 vu.mp4"),
            "interview d\xc3\xa9j\xc3\xa0 vu.mp4");
  EXPECT_EQ(SanitizeFileName("bad\xff\xfe.mp4"), "bad__.mp4");
  const std::string longest = SanitizeFileName(std::string(150, 'a') + std::string(100, '\xc3'));
  EXPECT_LE(longest.size(), 200u);
  const std::string accents = SanitizeFileName(std::string(199, 'a') + "\xc3\xa9\xc3\xa9");
  EXPECT_EQ(accents, std::string(199, 'a'));  // never cut inside a character
}

}  // namespace
}  // namespace serve::web
