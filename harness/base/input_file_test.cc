#include "harness/base/input_file.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace faultline {
namespace {

namespace fs = std::filesystem;

TEST(ReadInputFileTest, ReadsAFileAndRefusesWhatIsNotOne) {
  const fs::path dir = fs::temp_directory_path() / ("faultline-input-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "a.json") << "{\"x\": 1}";
  Result<std::string> text = ReadInputFile((dir / "a.json").string(), "a JSON file");
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  EXPECT_EQ(*text, "{\"x\": 1}");

  Result<std::string> missing = ReadInputFile((dir / "none").string(), "a nodes file");
  EXPECT_EQ(missing.status().code(), Status::Code::kNotFound);
  EXPECT_NE(missing.status().message().find("no such file; expected a nodes file"),
            std::string::npos);

  Result<std::string> d = ReadInputFile(dir.string(), "a suite file");
  EXPECT_EQ(d.status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(d.status().message(), dir.string() + ": is a directory; expected a suite file");

  // A device with no end, and a file just over the limit.
  Result<std::string> zero = ReadInputFile("/dev/zero", "a nodes file", 1 << 20);
  EXPECT_EQ(zero.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(zero.status().message().find("larger than 1 MiB"), std::string::npos);
  std::ofstream(dir / "big") << std::string((1 << 20) + 1, 'x');
  EXPECT_FALSE(ReadInputFile((dir / "big").string(), "x", 1 << 20).ok());
  std::ofstream(dir / "exact") << std::string(1 << 20, 'x');
  EXPECT_TRUE(ReadInputFile((dir / "exact").string(), "x", 1 << 20).ok());

  EXPECT_EQ(ReadInputFile("", "a nodes file").status().code(), Status::Code::kInvalidArgument);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace faultline
