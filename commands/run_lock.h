// One writer per run directory. Two processes writing the same run would interleave
// their checkpoints and metrics and leave a run that is neither; so a command holds
// an flock on DIR/.lock while it runs, and a second command on DIR is refused at
// once, naming the holder's PID. The kernel drops an flock when its process dies,
// so a run killed with SIGKILL blocks nobody: the next start simply takes it.
#pragma once
#include <string>

namespace nanossl {

class DirectoryLock {
 public:
  // Creates DIR if needed and locks it; throws "[command] DIR is in use by process
  // PID ..." when another process holds it.
  DirectoryLock(const std::string& dir, const std::string& command);
  ~DirectoryLock();
  DirectoryLock(const DirectoryLock&) = delete;
  DirectoryLock& operator=(const DirectoryLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace nanossl
