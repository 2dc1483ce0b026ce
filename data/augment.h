// The augmentation pipeline: the SimCLR recipe (random resized crop, flip, colour
// jitter, grayscale, blur; torchvision semantics), the supervised CIFAR recipe
// (pad-4 random crop + flip) and the evaluation transform (resize + centre crop).
// Every draw comes from a KeyedRandom the caller keys by (seed, epoch, index, view).
#pragma once
#include <array>
#include <cstdint>
#include <string>

#include "data/image.h"
#include "data/keyed_random.h"

namespace nanossl::data {

// Gaussian blur: `automatic` blurs only when the output side is above 32 px (the
// SimCLR paper turns blur off for CIFAR-sized images).
enum class BlurMode { automatic, on, off };

// Defaults are the reference SimCLR recipe (docs/protocol.md). `strength` is the paper's
// s: 1.0 in the reference implementation for ImageNet; its CIFAR runs used 0.5.
struct SimclrAugmentConfig {
  double crop_scale_min = 0.08, crop_scale_max = 1.0;           // fraction of the image area
  double crop_ratio_min = 3.0 / 4.0, crop_ratio_max = 4.0 / 3.0;  // width / height, drawn log-uniform
  int crop_attempts = 10;                                        // then the centre-crop fallback
  double flip_p = 0.5;
  double jitter_p = 0.8;
  double strength = 1.0;  // brightness, contrast, saturation 0.8 s; hue 0.2 s
  double grayscale_p = 0.2;
  BlurMode blur = BlurMode::automatic;
  double blur_p = 0.5;
  double blur_sigma_min = 0.1, blur_sigma_max = 2.0;
  double blur_kernel_fraction = 0.1;  // kernel side = this * image side, made odd

  // Throws "[simclr] ..." naming the first out-of-range field.
  void validate() const;
  bool blur_enabled(int out_size) const;
};

// The CIFAR recipe: zero-pad by `padding`, take a random out_size crop, flip.
struct SupervisedAugmentConfig {
  int padding = 4;
  double flip_p = 0.5;
};

// Which transform a training config names ("simclr", "supervised", "none").
enum class Augmentation { none, supervised, simclr };
Augmentation parse_augmentation(const std::string& text);  // throws on unknown names
std::string to_string(Augmentation augmentation);

// A crop of the source image: rows [top, top+height), columns [left, left+width).
struct CropBox {
  int top = 0, left = 0, height = 0, width = 0;
};

// Jitter operations in the order they are applied (a random permutation).
enum class JitterOp { brightness = 0, contrast = 1, saturation = 2, hue = 3 };

// Every random choice of one SimCLR view, drawn before any pixel is touched.
struct SimclrParams {
  CropBox crop;
  bool flip = false;
  bool jitter = false;
  std::array<JitterOp, 4> order{JitterOp::brightness, JitterOp::contrast, JitterOp::saturation, JitterOp::hue};
  double brightness = 1.0, contrast = 1.0, saturation = 1.0, hue = 0.0;
  bool grayscale = false;
  double blur_sigma = 0.0;  // 0: no blur
  int blur_kernel = 0;
};

// torchvision's RandomResizedCrop.get_params.
CropBox random_resized_crop_box(int height, int width, const SimclrAugmentConfig& config, KeyedRandom& rng);
// Always draws the same number of values in the same order, whatever the image's
// channel count, so a grayscale and a colour copy of an image get the same geometry.
SimclrParams draw_simclr_params(int height, int width, const SimclrAugmentConfig& config, KeyedRandom& rng,
                                int out_size);
// Writes the view (channels x out_size x out_size floats) to `out`. Grayscale
// images get only brightness and contrast.
void apply_simclr(const Image& image, const SimclrParams& params, int out_size, float* out);

FloatImage simclr_view(const Image& image, const SimclrAugmentConfig& config, KeyedRandom& rng, int out_size);
void simclr_view_into(const Image& image, const SimclrAugmentConfig& config, KeyedRandom& rng, int out_size,
                      float* out);

// Resize the shorter side to out_size and take the centre square; to float.
// An out_size x out_size input comes back exactly as to_float(image).
FloatImage eval_view(const Image& image, int out_size);
void eval_view_into(const Image& image, int out_size, float* out);

// Resize to out_size (when it differs), zero-pad, random crop, random flip.
FloatImage train_supervised_view(const Image& image, const SupervisedAugmentConfig& config, KeyedRandom& rng,
                                 int out_size);
void train_supervised_view_into(const Image& image, const SupervisedAugmentConfig& config, KeyedRandom& rng,
                                int out_size, float* out);

// Crop `box` out of the image and resize it bilinearly (align corners off, no
// antialiasing) to out_size x out_size, mirrored left-right when `flip`.
void crop_resize_into(const Image& image, const CropBox& box, int out_size, bool flip, float* out);

// Colour operations on float CHW in [0, 1] (torchvision.transforms.functional),
// each clipping its result to [0, 1]. Saturation and hue need 3 channels.
void adjust_brightness(float* pixels, int channels, int plane, double factor);
void adjust_contrast(float* pixels, int channels, int plane, double factor);
void adjust_saturation(float* pixels, int channels, int plane, double factor);
void adjust_hue(float* pixels, int channels, int plane, double shift);  // shift in [-0.5, 0.5]
void to_grayscale_inplace(float* pixels, int channels, int plane);     // luma into every channel
// Separable Gaussian, odd `kernel` side, reflect padding (torchvision's GaussianBlur).
void gaussian_blur(float* pixels, int channels, int height, int width, double sigma, int kernel);

}  // namespace nanossl::data
