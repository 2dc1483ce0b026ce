// The augmentation pipeline: keyed determinism, the statistics of the SimCLR draws
// (crop scale and aspect, flip, jitter, grayscale rates), blur on/off by size,
// torchvision's colour semantics on known values, and the eval/supervised views.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <vector>

#include "base/philox.h"
#include "data/augment.h"
#include "data/image.h"
#include "data/keyed_random.h"

using namespace nanossl;
using namespace nanossl::data;

namespace {

Image random_image(int channels, int height, int width, std::uint64_t seed) {
  Image image = make_image(channels, height, width);
  for (std::size_t i = 0; i < image.pixels.size(); ++i) {
    image.pixels[i] = static_cast<std::uint8_t>(philox4x32(seed, 7, i).word[0] & 0xFF);
  }
  return image;
}

KeyedRandom key(std::uint64_t index, std::uint64_t view = 0, std::uint64_t epoch = 0) {
  return KeyedRandom(42, kPurposeAugment, epoch, index, view);
}

// Everything off but a full-image crop: the view must be the image itself.
SimclrAugmentConfig identity_config() {
  SimclrAugmentConfig c;
  c.crop_scale_min = c.crop_scale_max = 1.0;
  c.crop_ratio_min = c.crop_ratio_max = 1.0;
  c.flip_p = c.jitter_p = c.grayscale_p = c.blur_p = 0.0;
  return c;
}

// torchvision's adjust_hue on one pixel, transcribed literally (_rgb2hsv, shift,
// _hsv2rgb with its sector table), in double.
void reference_hue(double& r, double& g, double& b, double shift) {
  const double maxc = std::max({r, g, b}), minc = std::min({r, g, b});
  const bool eqc = maxc == minc;
  const double cr = maxc - minc;
  const double s = cr / (eqc ? 1.0 : maxc);
  const double divisor = eqc ? 1.0 : cr;
  const double rc = (maxc - r) / divisor, gc = (maxc - g) / divisor, bc = (maxc - b) / divisor;
  const double hr = (maxc == r) * (bc - gc);
  const double hg = (maxc == g && maxc != r) * (2.0 + rc - bc);
  const double hb = (maxc != g && maxc != r) * (4.0 + gc - rc);
  double h = std::fmod((hr + hg + hb) / 6.0 + 1.0, 1.0);
  h = std::fmod(h + shift + 1.0, 1.0);
  const double v = maxc;
  const double i = std::floor(h * 6.0), f = h * 6.0 - i;
  const double p = std::clamp(v * (1.0 - s), 0.0, 1.0), q = std::clamp(v * (1.0 - s * f), 0.0, 1.0),
               t = std::clamp(v * (1.0 - s * (1.0 - f)), 0.0, 1.0);
  const double table[6][3] = {{v, t, p}, {q, v, p}, {p, v, t}, {p, q, v}, {t, p, v}, {v, p, q}};
  const int sector = static_cast<int>(i) % 6;
  r = table[sector][0];
  g = table[sector][1];
  b = table[sector][2];
}

}  // namespace

TEST(Augment, HueMatchesTorchvisionReference) {
  const int n = 4096;
  std::vector<float> pixels(3 * n);
  for (int i = 0; i < 3 * n; ++i) pixels[i] = static_cast<float>(philox_uniform_at(3, 4, 0, i));
  for (int i = 0; i < 64; ++i) pixels[i] = pixels[n + i] = pixels[2 * n + i];  // some grays
  for (double shift : {-0.5, -0.2, -0.01, 0.0, 0.13, 0.2, 0.5}) {
    std::vector<float> ours = pixels;
    adjust_hue(ours.data(), 3, n, shift);
    for (int i = 0; i < n; ++i) {
      double r = pixels[i], g = pixels[n + i], b = pixels[2 * n + i];
      reference_hue(r, g, b, shift);
      ASSERT_NEAR(ours[i], r, 2e-5) << "pixel " << i << " shift " << shift;
      ASSERT_NEAR(ours[n + i], g, 2e-5) << "pixel " << i << " shift " << shift;
      ASSERT_NEAR(ours[2 * n + i], b, 2e-5) << "pixel " << i << " shift " << shift;
    }
  }
}

TEST(Augment, SameKeySameViewOtherKeysDiffer) {
  const Image image = random_image(3, 32, 32, 1);
  const SimclrAugmentConfig config;
  auto r1 = key(5), r2 = key(5), other_view = key(5, 1), other_epoch = key(5, 0, 1);
  const FloatImage a = simclr_view(image, config, r1, 32);
  const FloatImage b = simclr_view(image, config, r2, 32);
  EXPECT_EQ(a.pixels, b.pixels);
  EXPECT_NE(a.pixels, simclr_view(image, config, other_view, 32).pixels);
  EXPECT_NE(a.pixels, simclr_view(image, config, other_epoch, 32).pixels);
  EXPECT_EQ(a.channels, 3);
  EXPECT_EQ(a.height, 32);
  EXPECT_EQ(a.width, 32);
}

TEST(Augment, CropScaleAndAspectStayWithinBounds) {
  const SimclrAugmentConfig config;
  double min_scale = 1, max_scale = 0, min_ratio = 10, max_ratio = 0, sum_log_ratio = 0;
  const int draws = 4000;
  for (int i = 0; i < draws; ++i) {
    auto rng = key(i);
    const CropBox box = random_resized_crop_box(400, 400, config, rng);
    ASSERT_GE(box.top, 0);
    ASSERT_GE(box.left, 0);
    ASSERT_LE(box.top + box.height, 400);
    ASSERT_LE(box.left + box.width, 400);
    const double scale = box.height * box.width / (400.0 * 400.0);
    const double ratio = static_cast<double>(box.width) / box.height;
    min_scale = std::min(min_scale, scale);
    max_scale = std::max(max_scale, scale);
    min_ratio = std::min(min_ratio, ratio);
    max_ratio = std::max(max_ratio, ratio);
    sum_log_ratio += std::log(ratio);
  }
  // Rounding to whole pixels moves the bounds by well under 2% at 400 px.
  EXPECT_GE(min_scale, 0.08 * 0.98);
  EXPECT_LT(min_scale, 0.12);
  EXPECT_LE(max_scale, 1.0);
  EXPECT_GT(max_scale, 0.95);
  EXPECT_GE(min_ratio, 0.75 * 0.98);
  EXPECT_LE(max_ratio, 4.0 / 3.0 * 1.02);
  EXPECT_LT(min_ratio, 0.78);
  EXPECT_GT(max_ratio, 1.28);
  EXPECT_NEAR(sum_log_ratio / draws, 0.0, 0.02);  // log-uniform, symmetric about 1
}

TEST(Augment, CropFallsBackToCentreCrop) {
  SimclrAugmentConfig config;
  config.crop_scale_min = 0.9;
  config.crop_ratio_min = config.crop_ratio_max = 1.0;
  auto rng = key(0);
  // A 10x100 strip has no square crop of 90% of its area: centre square it is.
  const CropBox box = random_resized_crop_box(10, 100, config, rng);
  EXPECT_EQ(box.height, 10);
  EXPECT_EQ(box.width, 10);
  EXPECT_EQ(box.top, 0);
  EXPECT_EQ(box.left, 45);
}

TEST(Augment, FlipJitterAndGrayscaleRates) {
  const SimclrAugmentConfig config;
  int flips = 0, jitters = 0, grays = 0;
  const int draws = 4000;
  for (int i = 0; i < draws; ++i) {
    auto rng = key(i);
    const SimclrParams p = draw_simclr_params(32, 32, config, rng, 32);
    flips += p.flip;
    jitters += p.jitter;
    grays += p.grayscale;
    if (p.jitter) {
      EXPECT_GE(p.brightness, 0.2);
      EXPECT_LE(p.brightness, 1.8);
      EXPECT_GE(p.saturation, 0.2);
      EXPECT_LE(std::abs(p.hue), 0.2);
      std::vector<JitterOp> ops(p.order.begin(), p.order.end());
      std::sort(ops.begin(), ops.end());
      EXPECT_EQ(ops, (std::vector<JitterOp>{JitterOp::brightness, JitterOp::contrast, JitterOp::saturation,
                                           JitterOp::hue}));
    } else {
      EXPECT_EQ(p.brightness, 1.0);
      EXPECT_EQ(p.hue, 0.0);
    }
  }
  EXPECT_NEAR(flips / double(draws), 0.5, 0.03);
  EXPECT_NEAR(jitters / double(draws), 0.8, 0.03);
  EXPECT_NEAR(grays / double(draws), 0.2, 0.03);
}

TEST(Augment, BlurOffAt32OnAt64) {
  SimclrAugmentConfig config;
  config.blur_p = 1.0;
  EXPECT_FALSE(config.blur_enabled(32));
  EXPECT_TRUE(config.blur_enabled(64));
  for (int i = 0; i < 50; ++i) {
    auto a = key(i), b = key(i);
    EXPECT_EQ(draw_simclr_params(32, 32, config, a, 32).blur_sigma, 0.0);
    const SimclrParams p = draw_simclr_params(64, 64, config, b, 64);
    EXPECT_GE(p.blur_sigma, 0.1);
    EXPECT_LE(p.blur_sigma, 2.0);
    EXPECT_EQ(p.blur_kernel, 7);  // 10% of 64 = 6, made odd
  }
  config.blur = BlurMode::on;
  auto rng = key(0);
  EXPECT_GT(draw_simclr_params(32, 32, config, rng, 32).blur_sigma, 0.0);
  config.blur = BlurMode::off;
  auto rng2 = key(0);
  EXPECT_EQ(draw_simclr_params(64, 64, config, rng2, 64).blur_sigma, 0.0);
}

TEST(Augment, GaussianBlurKeepsConstantsAndSmoothsEdges) {
  std::vector<float> flat(2 * 16 * 16, 0.25f);
  gaussian_blur(flat.data(), 2, 16, 16, 1.5, 5);
  for (float v : flat) EXPECT_NEAR(v, 0.25f, 1e-6f);
  std::vector<float> checker(16 * 16);
  for (int y = 0; y < 16; ++y)
    for (int x = 0; x < 16; ++x) checker[y * 16 + x] = static_cast<float>((x + y) % 2);
  gaussian_blur(checker.data(), 1, 16, 16, 2.0, 7);
  for (float v : checker) EXPECT_NEAR(v, 0.5f, 0.1f);
  EXPECT_THROW(gaussian_blur(checker.data(), 1, 16, 16, 1.0, 4), std::invalid_argument);
}

TEST(Augment, AllProbabilitiesZeroGivesTheImage) {
  const Image image = random_image(3, 32, 32, 3);
  auto rng = key(1);
  EXPECT_EQ(simclr_view(image, identity_config(), rng, 32).pixels, to_float(image).pixels);
  SimclrAugmentConfig flip = identity_config();
  flip.flip_p = 1.0;
  auto rng2 = key(1);
  const FloatImage mirrored = simclr_view(image, flip, rng2, 32);
  const FloatImage source = to_float(image);
  for (int c = 0; c < 3; ++c)
    for (int y = 0; y < 32; ++y)
      for (int x = 0; x < 32; ++x) ASSERT_EQ(mirrored.at(c, y, x), source.at(c, y, 31 - x));
}

TEST(Augment, GrayscaleImagesGetOnlyBrightnessAndContrast) {
  const Image image = random_image(1, 32, 32, 4);
  SimclrAugmentConfig config = identity_config();
  config.jitter_p = 1.0;
  config.grayscale_p = 1.0;
  for (int i = 0; i < 20; ++i) {
    auto draw = key(i), run = key(i);
    const SimclrParams p = draw_simclr_params(32, 32, config, draw, 32);
    std::vector<float> expected = to_float(image).pixels;
    for (JitterOp op : p.order) {
      if (op == JitterOp::brightness) adjust_brightness(expected.data(), 1, 32 * 32, p.brightness);
      if (op == JitterOp::contrast) adjust_contrast(expected.data(), 1, 32 * 32, p.contrast);
    }
    const FloatImage view = simclr_view(image, config, run, 32);
    ASSERT_EQ(view.channels, 1);
    ASSERT_EQ(view.pixels, expected);
  }
}

TEST(Augment, ViewsStayInUnitRange) {
  SimclrAugmentConfig config;
  config.strength = 2.0;
  config.blur = BlurMode::on;
  for (int channels : {1, 3}) {
    for (int i = 0; i < 100; ++i) {
      const Image image = random_image(channels, 28, 40, i);
      auto rng = key(i);
      for (float v : simclr_view(image, config, rng, 32).pixels) {
        ASSERT_GE(v, 0.0f);
        ASSERT_LE(v, 1.0f);
      }
    }
  }
}

TEST(Augment, JitterMatchesTorchvisionOnKnownValues) {
  std::vector<float> px{0.8f, 0.2f, 0.5f, 0.1f};  // one channel, 4 pixels
  adjust_brightness(px.data(), 1, 4, 2.0);
  EXPECT_EQ(px, (std::vector<float>{1.0f, 0.4f, 1.0f, 0.2f}));  // clipped at 1
  std::vector<float> cx{0.0f, 1.0f};
  adjust_contrast(cx.data(), 1, 2, 0.0);  // everything to the mean
  EXPECT_NEAR(cx[0], 0.5f, 1e-6f);
  EXPECT_NEAR(cx[1], 0.5f, 1e-6f);
  std::vector<float> hi{0.0f, 1.0f};
  adjust_contrast(hi.data(), 1, 2, 3.0);  // 3v - 1, clipped
  EXPECT_EQ(hi, (std::vector<float>{0.0f, 1.0f}));

  // One pure red pixel, planar RGB.
  std::vector<float> red{1.0f, 0.0f, 0.0f};
  std::vector<float> gray = red;
  adjust_saturation(gray.data(), 3, 1, 0.0);
  for (float v : gray) EXPECT_NEAR(v, 0.2989f, 1e-6f);
  std::vector<float> same = {0.3f, 0.6f, 0.9f};
  adjust_hue(same.data(), 3, 1, 0.0);
  EXPECT_NEAR(same[0], 0.3f, 1e-6f);
  EXPECT_NEAR(same[1], 0.6f, 1e-6f);
  EXPECT_NEAR(same[2], 0.9f, 1e-6f);
  std::vector<float> cyan = red;
  adjust_hue(cyan.data(), 3, 1, 0.5);
  EXPECT_NEAR(cyan[0], 0.0f, 1e-6f);
  EXPECT_NEAR(cyan[1], 1.0f, 1e-6f);
  EXPECT_NEAR(cyan[2], 1.0f, 1e-6f);
  std::vector<float> green = red;
  adjust_hue(green.data(), 3, 1, 1.0 / 3.0);
  EXPECT_NEAR(green[0], 0.0f, 1e-5f);
  EXPECT_NEAR(green[1], 1.0f, 1e-5f);
  EXPECT_NEAR(green[2], 0.0f, 1e-5f);
  EXPECT_THROW(adjust_hue(red.data(), 1, 3, 0.1), std::invalid_argument);
  EXPECT_THROW(adjust_saturation(red.data(), 1, 3, 0.5), std::invalid_argument);
}

TEST(Augment, EvalViewIsIdentityAtSameSizeAndCentresOtherwise) {
  const Image image = random_image(3, 32, 32, 5);
  EXPECT_EQ(eval_view(image, 32).pixels, to_float(image).pixels);
  // A 40x64 image whose centre 40x40 square is constant 200, edges 0.
  Image wide = make_image(1, 40, 64, 0);
  for (int y = 0; y < 40; ++y)
    for (int x = 12; x < 52; ++x) wide.at(0, y, x) = 200;
  for (float v : eval_view(wide, 20).pixels) EXPECT_FLOAT_EQ(v, 200.0f / 255.0f);
  EXPECT_THROW(eval_view(image, 0), std::invalid_argument);
}

TEST(Augment, SupervisedViewIsAShiftedMirroredCopy) {
  const Image image = random_image(1, 32, 32, 6);
  const FloatImage source = to_float(image);
  SupervisedAugmentConfig none{0, 0.0};
  auto rng = key(0);
  EXPECT_EQ(train_supervised_view(image, none, rng, 32).pixels, source.pixels);
  const SupervisedAugmentConfig config;  // pad 4, flip 0.5
  int shifted = 0;
  for (int i = 0; i < 40; ++i) {
    auto a = key(i), b = key(i);
    const FloatImage view = train_supervised_view(image, config, a, 32);
    EXPECT_EQ(view.pixels, train_supervised_view(image, config, b, 32).pixels);
    // Find the offset: the view must equal the (mirrored) source shifted by <= 4.
    bool found = false;
    for (int flip = 0; flip < 2 && !found; ++flip) {
      for (int dy = -4; dy <= 4 && !found; ++dy) {
        for (int dx = -4; dx <= 4 && !found; ++dx) {
          bool match = true;
          for (int y = 0; y < 32 && match; ++y) {
            for (int x = 0; x < 32 && match; ++x) {
              const int sy = y + dy, sx = (flip ? 31 - x : x) + dx;
              const float want = (sy >= 0 && sy < 32 && sx >= 0 && sx < 32) ? source.at(0, sy, sx) : 0.0f;
              match = view.at(0, y, x) == want;
            }
          }
          found = match;
          if (match && (dx != 0 || dy != 0)) ++shifted;
        }
      }
    }
    EXPECT_TRUE(found) << "view " << i;
  }
  EXPECT_GT(shifted, 20);
}

TEST(Augment, ParsesNamesAndRejectsBadConfigs) {
  for (Augmentation a : {Augmentation::none, Augmentation::supervised, Augmentation::simclr}) {
    EXPECT_EQ(parse_augmentation(to_string(a)), a);
  }
  EXPECT_THROW(parse_augmentation("byol"), std::invalid_argument);
  SimclrAugmentConfig bad;
  bad.crop_scale_min = 0.0;
  EXPECT_THROW(bad.validate(), std::invalid_argument);
  bad = SimclrAugmentConfig{};
  bad.flip_p = 1.5;
  EXPECT_THROW(bad.validate(), std::invalid_argument);
  bad = SimclrAugmentConfig{};
  bad.strength = 3.0;
  EXPECT_THROW(bad.validate(), std::invalid_argument);
  Image two = make_image(2, 8, 8);
  auto rng = key(0);
  EXPECT_THROW(simclr_view(two, SimclrAugmentConfig{}, rng, 8), std::invalid_argument);
}
