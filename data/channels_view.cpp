#include "data/channels_view.h"

#include <stdexcept>
#include <string>

namespace nanossl::data {

ChannelsView::ChannelsView(DatasetPtr base, int channels) : base_(std::move(base)), channels_(channels) {
  if (!base_) throw std::invalid_argument("[ChannelsView] null dataset");
  if (channels != 1 && channels != 3) {
    throw std::invalid_argument("[ChannelsView] " + base_->name() + ": channels must be 1 or 3, got " +
                                std::to_string(channels));
  }
}

Image ChannelsView::image(std::int64_t index) const {
  Image image = base_->image(index);
  return image.channels == channels_ ? image : nanossl::data::with_channels(image, channels_);
}

DatasetPtr with_channels(DatasetPtr base, int channels) {
  if (channels == 0 || (base && base->channels() == channels)) return base;
  return std::make_shared<ChannelsView>(std::move(base), channels);
}

}  // namespace nanossl::data
