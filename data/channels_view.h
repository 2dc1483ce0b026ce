// A dataset with every image converted to 1 or 3 channels (grey planes repeated,
// or RGB to ITU-R 601 luma): what lets a pool mix grey and colour domains, and an
// encoder pretrained on colour images be evaluated on grey ones.
#pragma once
#include "data/dataset.h"

namespace nanossl::data {

class ChannelsView final : public Dataset {
 public:
  // Throws unless channels is 1 or 3.
  ChannelsView(DatasetPtr base, int channels);

  std::string name() const override { return base_->name(); }
  std::int64_t size() const override { return base_->size(); }
  Image image(std::int64_t index) const override;
  std::int64_t label(std::int64_t index) const override { return base_->label(index); }
  const LabelHierarchy& hierarchy() const override { return base_->hierarchy(); }
  int channels() const override { return channels_; }
  int height() const override { return base_->height(); }
  int width() const override { return base_->width(); }

 private:
  DatasetPtr base_;
  int channels_;
};

// `base` itself when it already has `channels` (or channels is 0), else a view.
DatasetPtr with_channels(DatasetPtr base, int channels);

}  // namespace nanossl::data
