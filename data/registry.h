// Datasets by name, as configs and the command line give them:
//   fashion                Fashion-MNIST from Debian's dataset-fashion-mnist (1x32x32)
//   glyphs[:N], shapes[:N] procedural; N images (default 60000 train / 10000 test)
//   cifar10:DIR            CIFAR-10 binaries (data_batch_*.bin, test_batch.bin)
//   cifar100:DIR           CIFAR-100 binaries (train.bin, test.bin), 100 -> 20 classes
//   mnist:DIR              an MNIST-format pair in DIR ({train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz])
//   folder:DIR             image folders: DIR/train and DIR/test if both exist, else DIR
//                          for both splits; DIR/hierarchy.txt is used when present;
//                          folder:DIR?skip_corrupt drops (and counts) undecodable files
//                          instead of failing on them; ?size=N resizes every image to
//                          N x N; options join with & (folder:DIR?skip_corrupt&size=224)
#pragma once
#include <string>
#include <vector>

#include "data/dataset.h"

namespace nanossl::data {

enum class Split { train, test };
Split parse_split(const std::string& text);
const char* split_name(Split split);

// Throws naming the spec and what is wrong (unknown name, missing files with the
// apt command that installs them).
DatasetPtr open_dataset(const std::string& spec, Split split);

struct BuiltinDataset {
  std::string name, description;
  bool present = false;
  std::string missing;  // why not, and how to get it (empty when present)
};
std::vector<BuiltinDataset> builtin_datasets();

}  // namespace nanossl::data
