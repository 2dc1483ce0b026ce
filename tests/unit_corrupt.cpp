// Corruptions of the data-quality study: each one does what it says on images built
// to show it, draws are fixed per (seed, index) across epochs and threads, and
// specs parse from text and back.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <thread>

#include "data/corrupt.h"
#include "toy_dataset.h"

namespace nanossl::data {
namespace {

// Smooth waves and a bright square, channel c shifted: content JPEG and filters act on.
Image textured(int channels, int side) {
  Image image = make_image(channels, side, side);
  for (int c = 0; c < channels; ++c) {
    for (int y = 0; y < side; ++y) {
      for (int x = 0; x < side; ++x) {
        const double wave = 128.0 + 80.0 * std::sin((x + 3 * c) / 2.0) * std::cos(y / 3.0);
        const bool square = x >= side / 4 && x < side / 2 && y >= side / 4 && y < side / 2;
        image.at(c, y, x) = static_cast<std::uint8_t>(square ? 235.0 : wave);
      }
    }
  }
  return image;
}

// 0 and 255 alternating in blocks of `block` pixels.
Image checkerboard(int channels, int side, int block) {
  Image image = make_image(channels, side, side);
  for (int c = 0; c < channels; ++c) {
    for (int y = 0; y < side; ++y) {
      for (int x = 0; x < side; ++x) image.at(c, y, x) = ((x / block + y / block) % 2) ? 255 : 0;
    }
  }
  return image;
}

double mean_abs_difference(const Image& a, const Image& b) {
  double sum = 0.0;
  for (std::size_t i = 0; i < a.size(); ++i) sum += std::abs(a.pixels[i] - b.pixels[i]);
  return sum / static_cast<double>(a.size());
}

double variance(const Image& image) {
  double sum = 0.0, sum2 = 0.0;
  for (const std::uint8_t v : image.pixels) {
    sum += v;
    sum2 += static_cast<double>(v) * v;
  }
  const double n = static_cast<double>(image.size()), mean = sum / n;
  return sum2 / n - mean * mean;
}

Image apply(const Image& image, const std::string& spec, std::uint64_t index = 0) {
  KeyedRandom random(1, kPurposeCorrupt, 0, index);
  return corrupt(image, parse_corruption(spec), random);
}

TEST(Corrupt, SaltPepperSetsAboutAFractionPOfPixelsToBlackOrWhite) {
  const Image gray = make_image(1, 64, 64, 128);
  const Image noisy = apply(gray, "salt_pepper:0.05");
  int black = 0, white = 0, other = 0;
  for (const std::uint8_t v : noisy.pixels) {
    black += v == 0;
    white += v == 255;
    other += v != 0 && v != 255 && v != 128;
  }
  const double n = static_cast<double>(noisy.size());
  EXPECT_EQ(other, 0);
  EXPECT_NEAR((black + white) / n, 0.05, 0.015);  // about 4 standard deviations
  EXPECT_NEAR(black / n, 0.025, 0.012);
  EXPECT_NEAR(white / n, 0.025, 0.012);
}

TEST(Corrupt, SaltPepperSetsAllChannelsOfAPixelTogether) {
  const Image gray = make_image(3, 32, 32, 100);
  const Image noisy = apply(gray, "salt_pepper:0.2");
  int changed = 0;
  for (int y = 0; y < 32; ++y) {
    for (int x = 0; x < 32; ++x) {
      const std::uint8_t v = noisy.at(0, y, x);
      EXPECT_TRUE(v == 0 || v == 255 || v == 100);
      EXPECT_EQ(noisy.at(1, y, x), v);
      EXPECT_EQ(noisy.at(2, y, x), v);
      changed += v != 100;
    }
  }
  EXPECT_NEAR(changed / 1024.0, 0.2, 0.06);
}

TEST(Corrupt, DownsampleOfAOnePixelCheckerboardIsFlatGray) {
  for (const int channels : {1, 3}) {
    const Image board = checkerboard(channels, 32, 1);
    for (const std::string spec : {"downsample:2", "downsample:4"}) {
      const Image flat = apply(board, spec);
      ASSERT_EQ(flat.channels, channels);
      ASSERT_EQ(flat.height, 32);
      ASSERT_EQ(flat.width, 32);
      for (const std::uint8_t v : flat.pixels) ASSERT_EQ(v, 128) << spec;  // round(0.5 * 255)
    }
  }
}

TEST(Corrupt, DownsampleLosesDetailThatIsTooFineAndKeepsCoarseDetail) {
  const Image blocks4 = checkerboard(1, 32, 4);  // 4x4 blocks survive 2x, and less so 4x
  const Image by2 = apply(blocks4, "downsample:2"), by4 = apply(blocks4, "downsample:4");
  EXPECT_GT(variance(by2), 0.3 * variance(blocks4));
  EXPECT_LT(variance(by4), 0.8 * variance(by2));
  for (const std::uint8_t v : apply(checkerboard(1, 32, 2), "downsample:4").pixels) EXPECT_EQ(v, 128);
  const Image constant = make_image(1, 28, 28, 77);  // 28 is not a multiple of 8: still exact
  EXPECT_EQ(apply(constant, "downsample:4").pixels, constant.pixels);
}

TEST(Corrupt, ResizeKeepsSizeAndHalfSizeEqualsDownsampleTwo) {
  const Image image = textured(3, 32);
  const Image resized = apply(image, "resize:0.75");
  EXPECT_EQ(resized.channels, 3);
  EXPECT_EQ(resized.height, 32);
  EXPECT_EQ(resized.width, 32);
  EXPECT_GT(mean_abs_difference(resized, image), 1.0);
  // Bilinear at exactly half size averages 2x2 blocks: the reason resize's default is 0.75.
  EXPECT_EQ(apply(image, "resize:0.5").pixels, apply(image, "downsample:2").pixels);
  EXPECT_EQ(apply(make_image(1, 17, 23, 9), "resize:0.3").pixels, make_image(1, 17, 23, 9).pixels);
}

TEST(Corrupt, BlurReducesVarianceAndKeepsConstantImages) {
  const Image image = textured(1, 32);
  EXPECT_LT(variance(apply(image, "blur:1")), 0.9 * variance(image));
  EXPECT_LT(variance(apply(image, "blur:2")), variance(apply(image, "blur:1")));
  const Image constant = make_image(3, 16, 16, 200);
  EXPECT_EQ(apply(constant, "blur:1.5").pixels, constant.pixels);  // normalised, edges clamped
}

TEST(Corrupt, NoiseHasTheRequestedSpreadAndStaysInRange) {
  const Image gray = make_image(1, 64, 64, 128);
  const Image noisy = apply(gray, "noise:0.1");
  double sum = 0.0, sum2 = 0.0;
  for (const std::uint8_t v : noisy.pixels) {
    const double d = (v - 128.0) / 255.0;
    sum += d;
    sum2 += d * d;
  }
  const double n = static_cast<double>(noisy.size());
  EXPECT_NEAR(sum / n, 0.0, 0.01);
  EXPECT_NEAR(std::sqrt(sum2 / n), 0.1, 0.01);
  // Near the ends most draws clip to 0 or 255 instead of wrapping around.
  const Image white = apply(make_image(1, 32, 32, 255), "noise:0.5");
  int low = 0;
  for (const std::uint8_t v : white.pixels) low += v < 64;
  EXPECT_LT(low, 100);
}

TEST(Corrupt, JpegChangesPixelsSlightlyAtHighQualityAndStronglyAtLow) {
  for (const int channels : {1, 3}) {
    // Gray content in both cases: the encoder's 4:2:0 chroma subsampling (as PIL's)
    // would otherwise blur colour detail even at quality 95.
    const Image image = with_channels(textured(1, 32), channels);
    const Image high = apply(image, "jpeg:95"), low = apply(image, "jpeg:5");
    ASSERT_EQ(high.channels, channels);
    ASSERT_EQ(low.channels, channels);
    ASSERT_EQ(low.height, 32);
    const double high_error = mean_abs_difference(high, image), low_error = mean_abs_difference(low, image);
    EXPECT_GT(high_error, 0.0);
    EXPECT_LT(high_error, 3.0) << channels << " channels";
    EXPECT_GT(low_error, 8.0) << channels << " channels";
    EXPECT_EQ(apply(image, "jpeg:10").pixels, apply(image, "jpeg:10", 99).pixels);  // no randomness
  }
}

TEST(Corrupt, EveryKindKeepsTheShapeOfOneAndThreeChannelImages) {
  for (const int channels : {1, 3}) {
    const Image image = textured(channels, 24);
    for (const std::string spec :
         {"none", "salt_pepper", "jpeg", "resize", "downsample:2", "downsample:4", "blur", "noise"}) {
      const Image out = apply(image, spec);
      EXPECT_EQ(out.channels, channels) << spec;
      EXPECT_EQ(out.height, 24) << spec;
      EXPECT_EQ(out.width, 24) << spec;
      EXPECT_EQ(out.size(), image.size()) << spec;
      if (spec == "none") {
        EXPECT_EQ(out.pixels, image.pixels);
      } else {
        EXPECT_NE(out.pixels, image.pixels) << spec;
      }
    }
  }
}

TEST(CorruptedDataset, SameDrawForAnImageInEveryEpochDifferentAcrossImagesAndSeeds) {
  const auto base = testing::toy_dataset("toy", 4, 10, 1, 32);
  const CorruptedDataset dataset(base, parse_corruption("salt_pepper:0.1"), 42);
  const CorruptedDataset same_seed(base, parse_corruption("salt_pepper:0.1"), 42);
  const CorruptedDataset other_seed(base, parse_corruption("salt_pepper:0.1"), 43);
  EXPECT_EQ(dataset.image(5).pixels, dataset.image(5).pixels);
  EXPECT_EQ(dataset.image(5).pixels, same_seed.image(5).pixels);
  EXPECT_NE(dataset.image(5).pixels, other_seed.image(5).pixels);
  // Where the noise falls differs between images (compare the masks, not the bases).
  auto mask = [](const Image& image) {
    std::vector<bool> hit;
    for (const std::uint8_t v : image.pixels) hit.push_back(v == 0 || v == 255);
    return hit;
  };
  EXPECT_NE(mask(dataset.image(5)), mask(dataset.image(6)));
}

TEST(CorruptedDataset, ThreadsGetTheSameImagesAsOneThread) {
  const auto base = testing::toy_dataset("toy", 4, 16, 3, 16);
  const CorruptedDataset dataset(base, parse_corruption("noise:0.2"), 7);
  std::vector<Image> serial;
  for (std::int64_t i = 0; i < dataset.size(); ++i) serial.push_back(dataset.image(i));
  std::vector<Image> parallel(static_cast<std::size_t>(dataset.size()));
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (std::int64_t i = dataset.size() - 1 - t; i >= 0; i -= 4) parallel[i] = dataset.image(i);
    });
  }
  for (auto& thread : threads) thread.join();
  for (std::int64_t i = 0; i < dataset.size(); ++i) EXPECT_EQ(parallel[i].pixels, serial[i].pixels) << i;
}

TEST(CorruptedDataset, KeepsLabelsAndShapeAndNamesTheCorruption) {
  const auto base = testing::toy_dataset("toy", 4, 10);
  const CorruptedDataset dataset(base, parse_corruption("jpeg:10"), 1);
  EXPECT_EQ(dataset.name(), "toy+jpeg:10");
  EXPECT_EQ(dataset.size(), base->size());
  EXPECT_EQ(dataset.label(7), base->label(7));
  EXPECT_EQ(&dataset.hierarchy(), &base->hierarchy());
  EXPECT_EQ(dataset.channels(), 1);
  EXPECT_THROW(dataset.image(40), std::out_of_range);
  EXPECT_THROW(CorruptedDataset(base, CorruptionSpec{Corruption::jpeg, 0.0}, 1), std::invalid_argument);
  EXPECT_THROW(CorruptedDataset(nullptr, CorruptionSpec{}, 1), std::invalid_argument);
}

TEST(CorruptionSpec, ParsesValidTextsAndPrintsThemBack) {
  struct Case {
    std::string text;
    Corruption kind;
    double strength;
    std::string printed;
  };
  const std::vector<Case> cases = {
      {"none", Corruption::none, 0.0, "none"},
      {"salt_pepper:0.05", Corruption::salt_pepper, 0.05, "salt_pepper:0.05"},
      {"jpeg:10", Corruption::jpeg, 10.0, "jpeg:10"},
      {"resize:0.5", Corruption::resize, 0.5, "resize:0.5"},
      {"downsample:2", Corruption::downsample2, 2.0, "downsample:2"},
      {"downsample:4", Corruption::downsample4, 4.0, "downsample:4"},
      {"blur:1.0", Corruption::gaussian_blur, 1.0, "blur:1"},
      {"noise:0.1", Corruption::gaussian_noise, 0.1, "noise:0.1"},
      {"gaussian_blur:2.5", Corruption::gaussian_blur, 2.5, "blur:2.5"},
      {"jpeg", Corruption::jpeg, 10.0, "jpeg:10"},  // the default strength
  };
  for (const Case& c : cases) {
    const CorruptionSpec spec = parse_corruption(c.text);
    EXPECT_EQ(spec.kind, c.kind) << c.text;
    EXPECT_DOUBLE_EQ(spec.strength, c.strength) << c.text;
    EXPECT_EQ(to_string(spec), c.printed) << c.text;
    EXPECT_EQ(parse_corruption(to_string(spec)), spec) << c.text;
  }
}

TEST(CorruptionSpec, RejectsInvalidTextsNamingThemAndTheValidKinds) {
  for (const std::string text : {"", "jpeg:0", "jpeg:101", "jpeg:10.5", "jpeg:", "jpeg:abc", "jpeg:10x",
                                 "salt_pepper:0", "salt_pepper:1.5", "salt_pepper:-0.1", "resize:1", "resize:0",
                                 "downsample:3", "downsample", "blur:0", "blur:11", "noise:2", "none:1", "pixelate:2",
                                 "JPEG:10", "noise:nan"}) {
    try {
      parse_corruption(text);
      ADD_FAILURE() << "'" << text << "' was accepted";
    } catch (const std::invalid_argument& error) {
      const std::string message = error.what();
      EXPECT_NE(message.find("'" + text + "'"), std::string::npos) << message;
      EXPECT_NE(message.find("salt_pepper:P"), std::string::npos) << message;
    }
  }
}

TEST(CorruptionSpec, DefaultsAreValidAndTheStudyHasThePapersFive) {
  for (const Corruption kind : {Corruption::none, Corruption::salt_pepper, Corruption::jpeg, Corruption::resize,
                                Corruption::downsample2, Corruption::downsample4, Corruption::gaussian_blur,
                                Corruption::gaussian_noise}) {
    EXPECT_NO_THROW(validate(default_corruption(kind)));
    EXPECT_EQ(default_corruption(kind).kind, kind);
  }
  const std::vector<CorruptionSpec> study = quality_study_corruptions();
  ASSERT_EQ(study.size(), 5u);
  EXPECT_EQ(to_string(study[0]), "salt_pepper:0.05");
  EXPECT_EQ(to_string(study[1]), "jpeg:10");
  EXPECT_EQ(to_string(study[2]), "resize:0.75");
  EXPECT_EQ(to_string(study[3]), "downsample:2");
  EXPECT_EQ(to_string(study[4]), "downsample:4");
  EXPECT_THROW(validate(CorruptionSpec{Corruption::downsample2, 4.0}), std::invalid_argument);
}

}  // namespace
}  // namespace nanossl::data
