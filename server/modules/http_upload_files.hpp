// The files of HTTP file upload (XEP-0363, module http_upload) on disk,
// under data_dir/upload:
//
//   secret           the key of the URL signatures (upload_secret())
//   files/ID/data    an uploaded file, served as it was received
//   files/ID/meta    its owner, name, content type, size and time of upload
//   partial/ID/      an upload in progress; renamed to files/ID when its
//                    last byte is written, removed when it fails (and at
//                    start-up), so a broken upload leaves nothing behind
//
// UploadFiles keeps an index of the stored files in memory (loaded at
// start-up) with the bytes each account and each host store, plus the
// uploads in progress (their bytes count against the quotas from the
// moment they begin). Thread-safe: the HTTP connections of every worker
// write through it, the module reads it for quotas, the storage thread
// removes a deleted account's files. File data is read and written by the
// caller (an HTTP connection) outside its lock.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "server/modules/http_upload_slot.hpp"
#include "server/modules/http_upload_url.hpp"
#include "xmpp/result.hpp"

namespace server::upload {

// The server's upload secret: 32 random bytes, made once in `path` (mode
// 0600) and read from there afterwards. Throws std::runtime_error when it
// can be neither read nor made.
std::string upload_secret(const std::filesystem::path& path);

struct StoredFile {
    std::string id;
    std::string filename;
    std::string content_type;
    std::string owner;  // bare JID
    std::uint64_t size = 0;
    std::int64_t created = 0;  // unix seconds
};

struct Usage {
    std::uint64_t files = 0;
    std::uint64_t bytes = 0;
};

enum class BeginRefusal {
    exists,       // the slot's file is stored already: the slot was used
    in_progress,  // another upload to the slot is under way
    quota,        // a quota would be passed (others uploaded since the slot was given)
    io,           // the file could not be made
};

class UploadFiles : public std::enable_shared_from_this<UploadFiles> {
public:
    // Creates root/files and root/partial, removes what partial holds,
    // indexes files (entries it cannot read are removed). Throws
    // std::runtime_error when the folders cannot be made.
    static std::shared_ptr<UploadFiles> open(std::filesystem::path root);

    // One upload: write() the body in order, then commit(). Destroyed before
    // commit() (a broken or refused transfer), it removes what it wrote.
    class Upload {
    public:
        Upload(const Upload&) = delete;
        Upload& operator=(const Upload&) = delete;
        ~Upload();
        bool write(const char* data, std::size_t size);
        // The file becomes visible to GET; false (and nothing kept) when it
        // cannot be stored or its owner's account was deleted meanwhile.
        bool commit(std::int64_t now);
        std::uint64_t written() const { return written_; }

    private:
        friend class UploadFiles;
        Upload(std::shared_ptr<UploadFiles> files, StoredFile file, int fd);
        void discard();
        std::shared_ptr<UploadFiles> files_;
        StoredFile file_;
        int fd_ = -1;
        std::uint64_t written_ = 0;
        bool done_ = false;
    };

    // Starts the upload of a verified slot whose body has `content_type`.
    xmpp::Result<std::unique_ptr<Upload>, BeginRefusal> begin(const Slot& slot, std::string content_type,
                                                              const SlotLimits& limits);

    // A stored file by the id and name of its GET path.
    std::optional<StoredFile> find(const FileRef& ref) const;
    std::filesystem::path data_path(const std::string& id) const { return root_ / "files" / id / "data"; }

    // Bytes stored and being uploaded by an account (bare JID), by a host.
    std::uint64_t account_bytes(const std::string& owner) const;
    std::uint64_t host_bytes(const std::string& host) const;
    Usage usage() const;

    // Removes every file of the account and dooms its uploads in progress.
    std::size_t remove_owner(const std::string& owner);
    // Removes the files uploaded before `cutoff` (unix seconds).
    std::size_t remove_older_than(std::int64_t cutoff);

private:
    explicit UploadFiles(std::filesystem::path root) : root_(std::move(root)) {}
    void load();
    void forget(const StoredFile& file);  // lock held
    void remove_dir(const std::filesystem::path& dir) const;

    struct Pending {
        std::string owner;
        std::uint64_t size = 0;
        bool doomed = false;
    };

    const std::filesystem::path root_;
    mutable std::mutex mutex_;
    std::map<std::string, StoredFile> files_;  // by id
    std::map<std::string, Pending> pending_;   // by id
    std::map<std::string, std::uint64_t, std::less<>> account_bytes_;  // stored + pending
    std::map<std::string, std::uint64_t, std::less<>> host_bytes_;     // stored + pending
    std::uint64_t stored_bytes_ = 0;
};

}  // namespace server::upload
