#include <gtest/gtest.h>

#include "policy/units.hpp"

using namespace airlock::policy;
using namespace std::chrono_literals;

TEST(PolicyUnits, DurationsParse) {
  std::string why;
  EXPECT_EQ(parse_duration("30m", why), 30min);
  EXPECT_EQ(parse_duration("1h30m", why), 90min);
  EXPECT_EQ(parse_duration("500ms", why), 500ms);
  EXPECT_EQ(parse_duration("2d", why), 48h);
  EXPECT_EQ(parse_duration("90s", why), 90s);
}

TEST(PolicyUnits, DurationsAreStrict) {
  std::string why;
  for (const char* bad : {"", "30", "m", "30 m", "30min", "1.5h", "-5s", "30m1h", "1h1h", "5S", "99999999999999999999s"})
    EXPECT_FALSE(parse_duration(bad, why)) << bad;
  EXPECT_NE(why.find("30m"), std::string::npos) << "the error names an example: " << why;
}

TEST(PolicyUnits, SizesParse) {
  std::string why;
  EXPECT_EQ(parse_size("4GiB", why), 4ULL << 30);
  EXPECT_EQ(parse_size("512MiB", why), 512ULL << 20);
  EXPECT_EQ(parse_size("1024", why), 1024u);
  EXPECT_EQ(parse_size("7B", why), 7u);
}

TEST(PolicyUnits, SizesAreStrict) {
  std::string why;
  for (const char* bad : {"", "4GB", "4 GiB", "4gib", "GiB", "4GiBx", "-1", "1.5GiB", "99999999999TiB"})
    EXPECT_FALSE(parse_size(bad, why)) << bad;
}

TEST(PolicyUnits, FormatRoundTrips) {
  EXPECT_EQ(format_duration(90min), "1h30m");
  EXPECT_EQ(format_duration(1500ms), "1s500ms");
  EXPECT_EQ(format_size(4ULL << 30), "4GiB");
  EXPECT_EQ(format_size(1000), "1000B");
}
