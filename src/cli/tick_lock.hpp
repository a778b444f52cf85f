#pragma once
// Locks between sshm processes that tick: flock(2) on a file in the state dir, released
// when the holder closes it or dies, so a lock is held only by a live process.
#include <filesystem>

namespace sshm::cli {

class FileLock {
public:
  // Takes the lock on `path` (made if missing); waits for it when `wait`, else tries once.
  // Throws RuntimeError when the file cannot be opened.
  FileLock(const std::filesystem::path& path, bool wait);
  ~FileLock();
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  bool held() const { return m_held; }

private:
  int m_fd = -1;
  bool m_held = false;
};

} // namespace sshm::cli
