// Checks for programmer errors: a failed check prints file:line, the condition and a
// message, then aborts. Recoverable errors (files, decodes, requests) use absl::Status.
//
//   NN_CHECK(a.shape() == b.shape()) << "add: " << a.shape() << " vs " << b.shape();
//   NN_CHECK_EQ(x.rank(), 4) << "conv input must be NCHW";
//
// Checks stay on in optimized builds (they do not depend on NDEBUG). Depends on the C++
// standard library only, so nvcc-compiled .cu files can use it too.
#ifndef NN_CHECK_H_
#define NN_CHECK_H_

#include <sstream>

namespace nn::internal {

// Collects the message of a failed check; its destructor prints it and aborts.
class CheckFailure {
 public:
  CheckFailure(const char* file, int line, const char* condition);
  CheckFailure(const CheckFailure&) = delete;
  CheckFailure& operator=(const CheckFailure&) = delete;
  [[noreturn]] ~CheckFailure();
  std::ostream& stream() { return message_; }

 private:
  std::ostringstream message_;
};

// Turns the streamed expression into void, so both branches of NN_CHECK have one type.
struct Voidify {
  void operator&(std::ostream&) {}
};

}  // namespace nn::internal

#define NN_CHECK(condition)                           \
  (__builtin_expect(static_cast<bool>(condition), 1)) \
      ? (void)0                                       \
      : ::nn::internal::Voidify() &                   \
            ::nn::internal::CheckFailure(__FILE__, __LINE__, #condition).stream()

#define NN_CHECK_OP_(a, op, b) NN_CHECK((a)op(b)) << "(" << (a) << " vs " << (b) << ") "
#define NN_CHECK_EQ(a, b) NN_CHECK_OP_(a, ==, b)
#define NN_CHECK_NE(a, b) NN_CHECK_OP_(a, !=, b)
#define NN_CHECK_LT(a, b) NN_CHECK_OP_(a, <, b)
#define NN_CHECK_LE(a, b) NN_CHECK_OP_(a, <=, b)
#define NN_CHECK_GT(a, b) NN_CHECK_OP_(a, >, b)
#define NN_CHECK_GE(a, b) NN_CHECK_OP_(a, >=, b)

#endif  // NN_CHECK_H_
