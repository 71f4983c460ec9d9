// The trust record of a project's own configuration (policy/trust.hpp) and
// the catalog that honours it.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "policy/catalog.hpp"
#include "policy/trust.hpp"
#include "support/temp_dir.hpp"
#include "util/error.hpp"

using namespace airlock::policy;
using airlock::test::TempDir;

namespace {

TEST(Trust, Sha256OfKnownInputs) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Trust, TheRecordReadsBackAsWritten) {
  TrustRecord record{"/work/p", {{".airlock/a.toml", std::string(64, 'a')}, {"ci/x y.toml", std::string(64, 'b')}}};
  const auto back = parse_trust_record(render_trust_record(record), "rec");
  EXPECT_EQ(back.project, record.project);
  EXPECT_EQ(back.files, record.files);
  EXPECT_THROW(parse_trust_record("project /p\nsha256 short x\n", "rec"), airlock::Error);
  EXPECT_THROW(parse_trust_record("sha256 " + std::string(64, 'a') + " x\n", "rec"), airlock::Error);
}

TEST(Trust, NewAndChangedFilesAreNamed) {
  TrustRecord record{"/p", {{".airlock/a.toml", "1"}, {".airlock/gone.toml", "3"}}};
  const auto d = trust_differences({{".airlock/a.toml", "2"}, {".airlock/policies/b.toml", "4"}}, record);
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0], ".airlock/a.toml: changed since the project was trusted");
  EXPECT_EQ(d[1], ".airlock/policies/b.toml: new since the project was trusted");
  EXPECT_TRUE(trust_differences({{".airlock/a.toml", "1"}}, record).empty());
}

TEST(Trust, ScanningRefusesSymbolicLinksAStepCouldRetarget) {
  TempDir project;
  project.write(".airlock/a.toml", "[profile]\n");
  project.write(".airlock/policies/b.toml", "[sets]\n");
  project.write("notes.txt", "x");
  const auto found = scan_project_config(project.path());
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(found.at(".airlock/a.toml"), sha256_hex("[profile]\n"));

  ASSERT_EQ(::symlink("/etc/passwd", (project / ".airlock/c.toml").c_str()), 0);
  EXPECT_THROW(scan_project_config(project.path()), airlock::Error);

  TempDir other;
  other.write(".airlock/a.toml", "[profile]\n");
  std::filesystem::remove_all(other / ".airlock");
  ASSERT_EQ(::symlink((project / ".airlock").c_str(), (other / ".airlock").c_str()), 0);
  EXPECT_THROW(scan_project_config(other.path()), airlock::Error);
  EXPECT_THROW(read_project_file(other.path(), ".airlock/a.toml"), airlock::Error);
}

class TrustedCatalog : public ::testing::Test {
 protected:
  TrustedCatalog() {
    ::setenv("XDG_CONFIG_HOME", (home_ / "config").c_str(), 1);
    project_.write(".airlock/mine.toml", "[profile]\ndescription = \"mine\"\n");
  }
  ~TrustedCatalog() override { ::unsetenv("XDG_CONFIG_HOME"); }

  void trust() {
    TrustRecord record{project_.path(), scan_project_config(project_.path())};
    const auto path = trust_record_path(home_.path(), project_.path());
    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    home_.write(path.substr(home_.path().size() + 1), render_trust_record(record));
  }

  Catalog catalog() { return Catalog::standard(project_.path(), home_.path()); }

  TempDir project_, home_;
};

TEST_F(TrustedCatalog, AnUntrustedProjectDirectoryIsNotSearched) {
  EXPECT_FALSE(catalog().find("mine").has_value());
}

TEST_F(TrustedCatalog, ATrustedOneIsAndAChangeIsRefused) {
  trust();
  auto found = catalog().find("mine");
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->origin, project_ / ".airlock/mine.toml");
  project_.write(".airlock/mine.toml", "[profile]\ndescription = \"changed\"\n");
  try {
    catalog().find("mine");
    FAIL() << "a changed file was used";
  } catch (const airlock::Error& e) {
    EXPECT_NE(std::string(e.what()).find(".airlock/mine.toml: changed since the project was trusted"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("airlock trust"), std::string::npos);
  }
}

TEST_F(TrustedCatalog, ANewFileBlocksEveryNameUntilTrusted) {
  trust();
  project_.write(".airlock/policies/weaker.toml", "[sets.x]\nkind = \"paths\"\nentries = []\n");
  EXPECT_THROW(catalog().find("default"), airlock::Error);
  trust();
  EXPECT_TRUE(catalog().find("default").has_value());
}

TEST_F(TrustedCatalog, AProfileFileInTheProjectNeedsItsOwnDigest) {
  project_.write("ci/p.toml", "[profile]\n");
  try {
    catalog().find(project_ / "ci/p.toml");
    FAIL() << "an untrusted project file was loaded";
  } catch (const airlock::Error& e) {
    EXPECT_NE(std::string(e.what()).find("is in the project"), std::string::npos) << e.what();
  }
  TrustRecord record{project_.path(), {{"ci/p.toml", sha256_hex("[profile]\n")}}};
  const auto path = trust_record_path(home_.path(), project_.path());
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  home_.write(path.substr(home_.path().size() + 1), render_trust_record(record));
  EXPECT_TRUE(catalog().find(project_ / "ci/p.toml").has_value());
  EXPECT_TRUE(catalog().is_project_file(project_ / "ci/p.toml"));
}

TEST_F(TrustedCatalog, WithoutTheProjectATrustedProfileIsNotFoundByName) {
  trust();
  EXPECT_FALSE(catalog().without_project().find("mine").has_value());
}

}  // namespace
