// open_dataset: names to datasets, the split convention, and the errors a
// mistyped name or a bad folder gets.
#include <gtest/gtest.h>

#include <filesystem>

#include "data/codec.h"
#include "data/image_folder.h"
#include "data/registry.h"

using namespace nanossl::data;
namespace fs = std::filesystem;

TEST(Registry, ProceduralSizesAndSplitsDiffer) {
  DatasetPtr train = open_dataset("shapes:50", Split::train);
  DatasetPtr test = open_dataset("shapes:50", Split::test);
  EXPECT_EQ(train->size(), 50);
  EXPECT_EQ(open_dataset("glyphs", Split::test)->size(), 10000);
  EXPECT_NE(train->image(0).pixels, test->image(0).pixels);
}

TEST(Registry, FashionHasItsShapeAndHierarchy) {
  if (!fs::exists("/usr/share/datasets/fashion-mnist")) GTEST_SKIP() << "dataset-fashion-mnist not installed";
  DatasetPtr test = open_dataset("fashion", Split::test);
  EXPECT_EQ(test->size(), 10000);
  EXPECT_EQ(test->height(), 32);
  EXPECT_EQ(test->hierarchy().num_coarse(), 5);
}

TEST(Registry, BadNamesAreExplained) {
  try {
    open_dataset("fashon", Split::train);
    FAIL() << "expected an error";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("unknown dataset 'fashon'"), std::string::npos) << e.what();
  }
  EXPECT_THROW(open_dataset("glyphs:0", Split::train), std::invalid_argument);
  EXPECT_THROW(open_dataset("glyphs:12x", Split::train), std::invalid_argument);
  EXPECT_THROW(open_dataset("folder:/nonexistent/nanossl", Split::train), std::runtime_error);
  EXPECT_THROW(parse_split("validation"), std::invalid_argument);
}

TEST(Registry, FolderFailsOnACorruptFileUnlessAskedToSkipIt) {
  const fs::path root = fs::temp_directory_path() / "nanossl_registry_test";
  fs::remove_all(root);
  fs::create_directories(root / "a");
  fs::create_directories(root / "b");
  const Image image = make_image(1, 8, 8, 200);
  write_file((root / "a" / "1.png").string(), encode_png(image));
  write_file((root / "b" / "2.png").string(), encode_png(image));
  std::vector<std::uint8_t> truncated = encode_png(image);
  truncated.resize(truncated.size() / 2);
  write_file((root / "b" / "3.png").string(), truncated);

  DatasetPtr strict = open_dataset("folder:" + root.string(), Split::train);
  EXPECT_EQ(strict->size(), 3);
  try {
    strict->image(2);
    FAIL() << "expected the truncated PNG to fail";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("3.png"), std::string::npos) << e.what();
  }
  DatasetPtr lenient = open_dataset("folder:" + root.string() + "?skip_corrupt", Split::train);
  EXPECT_EQ(lenient->size(), 2);
  EXPECT_EQ(dynamic_cast<const ImageFolderDataset&>(*lenient).skipped().size(), 1u);
  EXPECT_THROW(open_dataset("folder:" + root.string() + "?lenient", Split::train), std::invalid_argument);
  // size=N resizes every image; options combine with &
  DatasetPtr resized = open_dataset("folder:" + root.string() + "?skip_corrupt&size=20", Split::train);
  EXPECT_EQ(resized->size(), 2);
  EXPECT_EQ(resized->height(), 20);
  EXPECT_EQ(resized->image(0).width, 20);
  for (const char* bad : {"?size=0", "?size=x", "?size=", "?size=5000"}) {
    EXPECT_THROW(open_dataset("folder:" + root.string() + bad, Split::train), std::invalid_argument) << bad;
  }
  fs::remove_all(root);
}
