// The CLI machinery: flag parsing (forms, errors, help), path resolution under `bazel run`,
// the command registry (dispatch, help, usage errors and their exit codes), common flags.
#include <cstdlib>
#include <sstream>

#include "base/thread_pool.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "serve/cli/command.h"
#include "serve/cli/common_flags.h"
#include "serve/cli/flags.h"

namespace serve::cli {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

struct Fields {
  std::string name = "x";
  std::string path;
  int count = 3;
  int64_t big = 0;
  double ratio = 0.5;
  bool verbose = false;
  bool color = true;
  std::vector<std::string> items;
};

FlagSet Define(Fields& f) {
  FlagSet flags;
  flags.String("name", &f.name, "a name");
  flags.Path("path", &f.path, "a file");
  flags.Int("count", &f.count, "how many");
  flags.Int64("big", &f.big, "a large number");
  flags.Double("ratio", &f.ratio, "a ratio");
  flags.Bool("verbose", &f.verbose, "say more");
  flags.Bool("color", &f.color, "in colour");
  flags.StringList("items", &f.items, "several values");
  return flags;
}

TEST(FlagSetTest, ParsesEveryForm) {
  Fields f;
  FlagSet flags = Define(f);
  std::vector<std::string> positional;
  ASSERT_TRUE(
      flags
          .Parse({"--name=a", "--count", "7", "-big=12345678901", "--ratio", "-0.25", "--verbose",
                  "--nocolor", "pos1", "--items", "a", "b", "c", "--", "--not-a-flag"},
                 &positional)
          .ok());
  EXPECT_EQ(f.name, "a");
  EXPECT_EQ(f.count, 7);
  EXPECT_EQ(f.big, 12345678901);
  EXPECT_DOUBLE_EQ(f.ratio, -0.25);
  EXPECT_TRUE(f.verbose);
  EXPECT_FALSE(f.color);
  EXPECT_THAT(f.items, ElementsAre("a", "b", "c"));
  EXPECT_THAT(positional, ElementsAre("pos1", "--not-a-flag"));
  EXPECT_TRUE(flags.WasSet("count"));
  EXPECT_FALSE(flags.WasSet("path"));
}

TEST(FlagSetTest, RepeatedListAndBoolValuesAndEmptyValue) {
  Fields f;
  f.items = {"default"};
  FlagSet flags = Define(f);
  ASSERT_TRUE(
      flags.Parse({"--items=a", "--items=b", "--verbose=true", "--color=0", "--name", ""}, nullptr)
          .ok());
  EXPECT_THAT(f.items, ElementsAre("a", "b"));  // the values replace the default
  EXPECT_TRUE(f.verbose);
  EXPECT_FALSE(f.color);
  EXPECT_EQ(f.name, "");
}

TEST(FlagSetTest, ErrorsNameTheFlag) {
  Fields f;
  FlagSet flags = Define(f);
  EXPECT_EQ(flags.Parse({"--cuont=2"}, nullptr).message(),
            "unknown flag '--cuont' (did you mean '--count'?)");
  EXPECT_EQ(flags.Parse({"--zzzzzzzz"}, nullptr).message(), "unknown flag '--zzzzzzzz'");
  EXPECT_EQ(flags.Parse({"--count=x"}, nullptr).message(), "--count: 'x' is not an integer");
  EXPECT_EQ(flags.Parse({"--ratio=one"}, nullptr).message(), "--ratio: 'one' is not a number");
  EXPECT_EQ(flags.Parse({"--verbose=maybe"}, nullptr).message(),
            "--verbose: 'maybe' is not true or false");
  EXPECT_EQ(flags.Parse({"--count"}, nullptr).message(), "--count needs a value");
  EXPECT_EQ(flags.Parse({"--items", "--count=1"}, nullptr).message(), "--items needs a value");
  EXPECT_EQ(flags.Parse({"stray"}, nullptr).message(), "unexpected argument 'stray'");
  EXPECT_EQ(flags.Parse({"--count=1"}, nullptr).code(), absl::StatusCode::kOk);
}

TEST(FlagSetTest, RequiredFlags) {
  std::string video;
  FlagSet flags;
  flags.String("video_path", &video, "the video").Required();
  EXPECT_EQ(flags.Parse({}, nullptr).message(), "missing required flag --video_path");
  EXPECT_EQ(flags.Parse({"--video_path", ""}, nullptr).message(),
            "missing required flag --video_path");
  EXPECT_TRUE(flags.Parse({"--video_path=a.mp4"}, nullptr).ok());
}

TEST(FlagSetTest, HelpListsFlagsDefaultsAndGroups) {
  Fields f;
  FlagSet flags = Define(f);
  std::string required;
  flags.String("out", &required, "the output").Required();
  flags.SetGroup("Common flags");
  int threads = 0;
  flags.Int("threads", &threads, "CPU threads");
  const std::string help = flags.Help();
  EXPECT_THAT(help, HasSubstr("Flags:\n  --name=STRING  (default: \"x\")\n      a name\n"));
  EXPECT_THAT(help, HasSubstr("  --count=INT  (default: 3)\n      how many\n"));
  EXPECT_THAT(help, HasSubstr("  --verbose  (default: false)\n"));
  EXPECT_THAT(help, HasSubstr("  --items LIST...  (default: none)\n"));
  EXPECT_THAT(help, HasSubstr("  --out=STRING  (required)\n      the output\n"));
  EXPECT_THAT(help, HasSubstr("\n\nCommon flags:\n  --threads=INT  (default: 0)\n"));
}

TEST(ResolveUserPathTest, RelativePathsFollowTheBuildWorkingDirectory) {
  EXPECT_EQ(ResolveUserPath("clip.mp4", "/home/me/videos"), "/home/me/videos/clip.mp4");
  EXPECT_EQ(ResolveUserPath("../a/b.mp4", "/home/me/videos"), "/home/me/a/b.mp4");
  EXPECT_EQ(ResolveUserPath("/abs/clip.mp4", "/home/me"), "/abs/clip.mp4");
  EXPECT_EQ(ResolveUserPath("", "/home/me"), "");
  EXPECT_EQ(ResolveUserPath("pipe:0", "/home/me"), "pipe:0");
  EXPECT_EQ(ResolveUserPath("http://host/a.mp4", "/home/me"), "http://host/a.mp4");
  EXPECT_EQ(ResolveUserPath("clip.mp4", nullptr), "clip.mp4");
  EXPECT_EQ(ResolveUserPath("clip.mp4", ""), "clip.mp4");
}

TEST(ResolveUserPathTest, PathFlagsAreResolvedFromTheEnvironment) {
  ASSERT_EQ(setenv("BUILD_WORKING_DIRECTORY", "/work/here", 1), 0);
  Fields f;
  FlagSet flags = Define(f);
  ASSERT_TRUE(flags.Parse({"--path", "out/x.json", "--name", "rel"}, nullptr).ok());
  EXPECT_EQ(f.path, "/work/here/out/x.json");
  EXPECT_EQ(f.name, "rel");  // plain strings are not paths
  EXPECT_EQ(ResolveUserPath("clip.mp4"), "/work/here/clip.mp4");
  ASSERT_EQ(unsetenv("BUILD_WORKING_DIRECTORY"), 0);
  EXPECT_EQ(ResolveUserPath("clip.mp4"), "clip.mp4");
}

TEST(WrapTextTest, WrapsAtWordsAndIndents) {
  EXPECT_EQ(WrapText("one two three four", 2, 11), "  one two\n  three\n  four\n");
  EXPECT_EQ(WrapText("averyveryverylongword x", 0, 5), "averyveryverylongword\nx\n");
}

TEST(ClosestNameTest, OnlyLikelyTypos) {
  EXPECT_EQ(ClosestName("facse", {"faces", "detect", "help"}), "faces");
  EXPECT_EQ(ClosestName("hlep", {"faces", "detect", "help"}), "help");
  EXPECT_EQ(ClosestName("frobnicate", {"faces", "detect", "help"}), "");
}

// A command that records what it was given.
class EchoCommand : public Command {
 public:
  explicit EchoCommand(int exit_code = kExitOk) : exit_code_(exit_code) {}
  std::string name() const override { return "echo"; }
  std::string summary() const override { return "prints its flags"; }
  std::string usage() const override { return "--text=TEXT [flags] [WORDS...]"; }
  bool TakesPositional() const override { return true; }
  void DefineFlags(FlagSet& flags) override {
    flags.String("text", &text_, "what to print").Required();
    flags.Int("times", &times_, "how often");
    common_.Define(flags, kPresetFlag | kThreadsFlag);
  }
  int Run(const std::vector<std::string>& positional, std::ostream& out,
          std::ostream& err) override {
    for (int i = 0; i < times_; ++i) out << text_;
    for (const std::string& word : positional) out << " " << word;
    out << " preset=" << common_.preset;
    return exit_code_;
  }

 private:
  int exit_code_;
  std::string text_;
  int times_ = 1;
  CommonFlags common_;
};

struct Result {
  int code;
  std::string out, err;
};

Result RunCli(const std::vector<std::string>& args, int exit_code = kExitOk) {
  CommandRegistry registry("deepfake", "deepfake: a video deepfake detector.",
                           [] { return std::string("deepfake 0.1.0\n"); });
  registry.Add(std::make_unique<EchoCommand>(exit_code));
  std::ostringstream out, err;
  const int code = registry.Run(args, out, err);
  return {code, out.str(), err.str()};
}

TEST(CommandRegistryTest, DispatchesWithTheCommandsOwnFlags) {
  const Result r = RunCli({"echo", "--text", "hi", "--times=2", "a", "--preset=tiny"});
  EXPECT_EQ(r.code, kExitOk) << r.err;
  EXPECT_EQ(r.out, "hihi a preset=tiny");
  EXPECT_EQ(RunCli({"echo", "--text=x"}, kExitFailure).code, kExitFailure);
}

TEST(CommandRegistryTest, UnknownCommandOrFlagIsUsageError) {
  Result r = RunCli({"ehco"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_THAT(r.err, HasSubstr("deepfake: unknown command 'ehco' (did you mean 'echo'?)"));
  EXPECT_THAT(r.err, HasSubstr("deepfake help"));
  r = RunCli({"frobnicate"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_THAT(r.err, HasSubstr("unknown command 'frobnicate'\n"));
  r = RunCli({"echo", "--text=x", "--tims=3"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_THAT(r.err, HasSubstr("deepfake echo: unknown flag '--tims' (did you mean '--times'?)"));
  EXPECT_THAT(r.err, HasSubstr("usage: deepfake echo --text=TEXT [flags] [WORDS...]"));
  EXPECT_THAT(r.out, IsEmpty());
  // A common flag the command did not opt into does not exist for it.
  r = RunCli({"echo", "--text=x", "--device=cpu"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_THAT(r.err, HasSubstr("unknown flag '--device'"));
  r = RunCli({"--bogus"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_THAT(r.err, HasSubstr("deepfake: unknown flag '--bogus'"));
  r = RunCli({});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_THAT(r.err, HasSubstr("Commands:"));
}

TEST(CommandRegistryTest, MissingRequiredFlagIsUsageError) {
  const Result r = RunCli({"echo", "--times=2"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_THAT(r.err, HasSubstr("deepfake echo: missing required flag --text"));
}

TEST(CommandRegistryTest, HelpListsCommandsFlagsAndExitCodes) {
  Result r = RunCli({"help"});
  EXPECT_EQ(r.code, kExitOk);
  EXPECT_THAT(r.out, HasSubstr("deepfake: a video deepfake detector."));
  EXPECT_THAT(r.out, HasSubstr("  echo  prints its flags\n"));
  EXPECT_THAT(r.out, HasSubstr("  help  list the commands"));
  EXPECT_THAT(r.out, HasSubstr("Exit codes: 0 success; 1 the command failed"));
  EXPECT_THAT(r.out, HasSubstr("3 some inputs (videos) could not be analysed"));
  EXPECT_THAT(r.out, HasSubstr("2 bad usage"));
  EXPECT_EQ(RunCli({"--help"}).out, r.out);

  r = RunCli({"help", "echo"});
  EXPECT_EQ(r.code, kExitOk);
  EXPECT_THAT(r.out, HasSubstr("deepfake echo: prints its flags"));
  EXPECT_THAT(r.out, HasSubstr("Usage: deepfake echo --text=TEXT [flags] [WORDS...]"));
  EXPECT_THAT(r.out, HasSubstr("  --text=STRING  (required)\n      what to print\n"));
  EXPECT_THAT(r.out, HasSubstr("  --times=INT  (default: 1)\n"));
  EXPECT_THAT(r.out, HasSubstr("Common flags:\n  --preset=STRING  (default: \"default\")"));
  EXPECT_THAT(r.out, HasSubstr("--threads=INT"));
  EXPECT_THAT(r.out, Not(HasSubstr("--device")));
  EXPECT_EQ(RunCli({"echo", "--help"}).out, r.out);
  EXPECT_EQ(RunCli({"echo", "--times=x", "-h"}).out, r.out);  // help wins over errors

  r = RunCli({"help", "nope"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_THAT(r.err, HasSubstr("unknown command 'nope'"));
}

// A command with its own exit codes and more help after the flags.
class VerdictCommand : public Command {
 public:
  std::string name() const override { return "verdict"; }
  std::string summary() const override { return "says yes or no"; }
  std::string ExitCodes() const override { return "Exit codes: 0 no, 1 yes, 2 bad usage."; }
  std::string Details() const override {
    return "Output formats: text by default.\n\n  verdict --x\n  verdict --y";
  }
  void DefineFlags(FlagSet&) override {}
  int Run(const std::vector<std::string>&, std::ostream&, std::ostream&) override { return 1; }
};

TEST(CommandRegistryTest, CommandsOwnExitCodesAndDetailsInItsHelp) {
  CommandRegistry registry("deepfake", "d", [] { return std::string(); });
  registry.Add(std::make_unique<VerdictCommand>());
  registry.Add(std::make_unique<EchoCommand>());
  const std::string help = registry.CommandHelp("verdict");
  EXPECT_THAT(help,
              HasSubstr("\nOutput formats: text by default.\n\n  verdict --x\n  verdict --y\n"));
  EXPECT_THAT(help, HasSubstr("\nExit codes: 0 no, 1 yes, 2 bad usage.\n"));
  EXPECT_THAT(help, Not(HasSubstr("1 failure")));
  EXPECT_THAT(registry.CommandHelp("echo"), HasSubstr("Exit codes: 0 success, 1 failure"));
  EXPECT_THAT(registry.Help(), HasSubstr("Some commands give a code a more specific meaning"));
}

TEST(CommandRegistryTest, Version) {
  const Result r = RunCli({"--version"});
  EXPECT_EQ(r.code, kExitOk);
  EXPECT_EQ(r.out, "deepfake 0.1.0\n");
}

TEST(CommonFlagsTest, ParsedOnceAndApplied) {
  CommonFlags common;
  FlagSet flags;
  const unsigned all = kPresetFlag | kFramesFlag | kSamplingFlag | kThreadsFlag | kDeviceFlag;
  common.Define(flags, all);
  ASSERT_TRUE(flags
                  .Parse({"--preset=jadhav2020", "--frames=8", "--sampling=every", "--every_k=3",
                          "--threads=1", "--device=cpu"},
                         nullptr)
                  .ok());
  const int threads_before = base::GetNumThreads();
  absl::StatusOr<CommonFlags::Applied> applied = common.Apply(all);
  ASSERT_TRUE(applied.ok()) << applied.status();
  EXPECT_EQ(applied->preset.name, "jadhav2020");
  EXPECT_EQ(applied->preset.preprocessing.frames, 8);
  EXPECT_EQ(applied->preset.faces.sampling, nn::FrameSampling::kEveryKth);
  EXPECT_EQ(applied->preset.faces.crop_mode, nn::CropMode::kExactBox);  // the preset's
  EXPECT_EQ(applied->every_k, 3);
  EXPECT_TRUE(applied->device.is_cpu());
  EXPECT_EQ(base::GetNumThreads(), 1);
  base::SetNumThreads(threads_before);

  CommonFlags defaults;
  applied = defaults.Apply(kPresetFlag | kFramesFlag | kSamplingFlag);
  ASSERT_TRUE(applied.ok());
  EXPECT_EQ(applied->preset.name, "default");
  EXPECT_EQ(applied->preset.preprocessing.frames, 16);
  EXPECT_EQ(applied->preset.faces.sampling, nn::FrameSampling::kEvenlySpaced);
}

TEST(CommonFlagsTest, BadValuesNameTheFlag) {
  CommonFlags c;
  c.preset = "resnet";
  EXPECT_EQ(c.Apply(kPresetFlag).status().message(),
            "--preset: unknown model preset 'resnet'; known presets: default, jadhav2020, "
            "small, tiny");
  c = CommonFlags();
  c.sampling = "random";
  EXPECT_EQ(c.Apply(kSamplingFlag).status().message(),
            "--sampling: unknown frame sampling 'random' (allowed: evenly, first, every)");
  c = CommonFlags();
  c.every_k = 0;
  EXPECT_EQ(c.Apply(kSamplingFlag).status().message(), "--every_k must be >= 1 (got 0)");
  c = CommonFlags();
  c.frames = -1;
  EXPECT_EQ(c.Apply(kFramesFlag).status().message(), "--frames must be >= 0 (got -1)");
  c = CommonFlags();
  c.device = "tpu";
  EXPECT_EQ(c.Apply(kDeviceFlag).status().message(),
            "--device: unknown device 'tpu' (allowed: cpu, cuda, auto)");
}

TEST(ParseDeviceTest, AutoPicksCudaOnlyWhenUsable) {
  EXPECT_TRUE(ParseDevice("auto", false, 0)->is_cpu());
  EXPECT_TRUE(ParseDevice("auto", true, 0)->is_cpu());
  EXPECT_TRUE(ParseDevice("auto", true, 2)->is_cuda());
  EXPECT_TRUE(ParseDevice("cpu", true, 2)->is_cpu());
  EXPECT_TRUE(ParseDevice("cuda", true, 1)->is_cuda());
  EXPECT_EQ(ParseDevice("cuda", false, 0).status().message(),
            "--device=cuda: CUDA is not compiled in (build with --config=cuda)");
  EXPECT_EQ(ParseDevice("cuda", true, 0).status().message(), "--device=cuda: no GPU found");
}

}  // namespace
}  // namespace serve::cli
