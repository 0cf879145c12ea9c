// ThreadSanitizer suppressions, linked into every test under --config=tsan (through
// @gtest, see third_party/gtest.BUILD). Only uninstrumented system libraries: FFmpeg's
// frame-threaded decoders hand buffers between their threads with atomics TSan cannot see
// (reports pair av_malloc with av_buffer_unref and no order between them); OpenBLAS and
// dlib are uninstrumented in the same way. Races in this project's code are never
// suppressed here.
extern "C" const char* __tsan_default_suppressions() {
  return "race:libavcodec.so\n"
         "race:libavutil.so\n"
         "race:libavformat.so\n"
         "race:libswscale.so\n"
         "race:libopenblas\n"
         "race:libdlib.so\n"
         "called_from_lib:libavcodec.so\n";
}
