#include "server/modules/http_upload_files.hpp"

#include <fcntl.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <system_error>

namespace server::upload {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kMetaHeader = "xmqd-upload 1";
constexpr std::size_t kSecretBytes = 32;

std::string host_of(const std::string& owner) {
    const auto at = owner.find('@');
    return at == std::string::npos ? owner : owner.substr(at + 1);
}

template <class Int>
std::optional<Int> parse_number(const std::string& text) {
    Int value{};
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return value;
}

std::string meta_text(const StoredFile& f) {
    return std::string(kMetaHeader) + "\n" + f.owner + "\n" + f.filename + "\n" + f.content_type + "\n" +
           std::to_string(f.size) + "\n" + std::to_string(f.created) + "\n";
}

std::optional<StoredFile> read_meta(const fs::path& dir) {
    std::ifstream in(dir / "meta");
    std::string header, size, created;
    StoredFile f;
    f.id = dir.filename().string();
    if (!std::getline(in, header) || header != kMetaHeader || !std::getline(in, f.owner) ||
        !std::getline(in, f.filename) || !std::getline(in, f.content_type) || !std::getline(in, size) ||
        !std::getline(in, created))
        return std::nullopt;
    const auto s = parse_number<std::uint64_t>(size);
    const auto c = parse_number<std::int64_t>(created);
    if (!s || !c || !valid_filename(f.filename) || f.owner.find('@') == std::string::npos) return std::nullopt;
    std::error_code ec;
    if (fs::file_size(dir / "data", ec) != *s || ec) return std::nullopt;
    f.size = *s;
    f.created = *c;
    return f;
}

bool write_all(int fd, const char* data, std::size_t size) {
    while (size > 0) {
        const ssize_t n = ::write(fd, data, size);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        data += n;
        size -= static_cast<std::size_t>(n);
    }
    return true;
}

}  // namespace

std::string upload_secret(const fs::path& path) {
    {
        std::ifstream in(path, std::ios::binary);
        std::string secret((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        if (secret.size() == kSecretBytes) return secret;
        if (in.is_open() && !secret.empty())
            throw std::runtime_error("upload: " + path.string() + " is not a " + std::to_string(kSecretBytes) +
                                     "-byte secret; remove it to make a new one");
    }
    std::array<unsigned char, kSecretBytes> bytes{};
    if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1)
        throw std::runtime_error("upload: no random bytes from OpenSSL");
    const fs::path temporary = path.string() + ".new";
    const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) throw std::runtime_error("upload: cannot create " + temporary.string());
    const bool written = write_all(fd, reinterpret_cast<const char*>(bytes.data()), bytes.size()) && ::fsync(fd) == 0;
    ::close(fd);
    std::error_code ec;
    if (written) fs::rename(temporary, path, ec);
    if (!written || ec) {
        fs::remove(temporary, ec);
        throw std::runtime_error("upload: cannot write " + path.string());
    }
    return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

std::shared_ptr<UploadFiles> UploadFiles::open(fs::path root) {
    std::shared_ptr<UploadFiles> files(new UploadFiles(std::move(root)));
    std::error_code ec;
    fs::create_directories(files->root_ / "files", ec);
    if (!ec) fs::create_directories(files->root_ / "partial", ec);
    if (ec) throw std::runtime_error("upload: cannot create " + files->root_.string() + ": " + ec.message());
    files->load();
    return files;
}

void UploadFiles::load() {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(root_ / "partial", ec)) remove_dir(entry.path());
    std::lock_guard lock(mutex_);
    for (const auto& entry : fs::directory_iterator(root_ / "files", ec)) {
        const std::string id = entry.path().filename().string();
        auto file = read_meta(entry.path());
        if (!file || id.size() != kIdLength || id.find_first_not_of("0123456789abcdef") != std::string::npos) {
            remove_dir(entry.path());
            continue;
        }
        account_bytes_[file->owner] += file->size;
        host_bytes_[host_of(file->owner)] += file->size;
        stored_bytes_ += file->size;
        files_.emplace(id, std::move(*file));
    }
}

void UploadFiles::remove_dir(const fs::path& dir) const {
    std::error_code ec;
    fs::remove_all(dir, ec);
}

xmpp::Result<std::unique_ptr<UploadFiles::Upload>, BeginRefusal> UploadFiles::begin(const Slot& slot,
                                                                                     std::string content_type,
                                                                                     const SlotLimits& limits) {
    const std::string host = host_of(slot.owner);
    {
        std::lock_guard lock(mutex_);
        if (files_.contains(slot.id)) return xmpp::fail(BeginRefusal::exists);
        if (pending_.contains(slot.id)) return xmpp::fail(BeginRefusal::in_progress);
        const auto account = account_bytes_.find(slot.owner);
        const auto host_used = host_bytes_.find(host);
        if (check_quota(slot.size, account == account_bytes_.end() ? 0 : account->second,
                        host_used == host_bytes_.end() ? 0 : host_used->second, limits))
            return xmpp::fail(BeginRefusal::quota);
        pending_.emplace(slot.id, Pending{slot.owner, slot.size, false});
        account_bytes_[slot.owner] += slot.size;
        host_bytes_[host] += slot.size;
    }
    StoredFile file{slot.id, slot.filename, std::move(content_type), slot.owner, slot.size, 0};
    const fs::path dir = root_ / "partial" / slot.id;
    std::error_code ec;
    fs::create_directory(dir, ec);
    const int fd = ec ? -1 : ::open((dir / "data").c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    // Made before the check, so that its destructor gives the reservation back.
    std::unique_ptr<Upload> upload(new Upload(shared_from_this(), std::move(file), fd));
    if (fd < 0) return xmpp::fail(BeginRefusal::io);
    return upload;
}

UploadFiles::Upload::Upload(std::shared_ptr<UploadFiles> files, StoredFile file, int fd)
    : files_(std::move(files)), file_(std::move(file)), fd_(fd) {}

UploadFiles::Upload::~Upload() {
    if (!done_) discard();
}

bool UploadFiles::Upload::write(const char* data, std::size_t size) {
    if (fd_ < 0 || done_ || size > file_.size - written_) return false;
    if (!write_all(fd_, data, size)) return false;
    written_ += size;
    return true;
}

void UploadFiles::Upload::discard() {
    done_ = true;
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    files_->remove_dir(files_->root_ / "partial" / file_.id);
    std::lock_guard lock(files_->mutex_);
    files_->pending_.erase(file_.id);
    files_->account_bytes_[file_.owner] -= file_.size;
    files_->host_bytes_[host_of(file_.owner)] -= file_.size;
}

bool UploadFiles::Upload::commit(std::int64_t now) {
    if (done_ || fd_ < 0 || written_ != file_.size) return false;
    file_.created = now;
    const fs::path partial = files_->root_ / "partial" / file_.id;
    const bool closed = ::close(fd_) == 0;
    fd_ = -1;
    if (!closed) {
        discard();
        return false;
    }
    {
        std::ofstream meta(partial / "meta", std::ios::binary | std::ios::trunc);
        meta << meta_text(file_);
        meta.close();
        if (!meta) {
            discard();
            return false;
        }
    }
    std::lock_guard lock(files_->mutex_);
    auto pending = files_->pending_.find(file_.id);
    const bool doomed = pending == files_->pending_.end() || pending->second.doomed;
    std::error_code ec;
    if (!doomed) fs::rename(partial, files_->root_ / "files" / file_.id, ec);
    if (doomed || ec) {
        // Not discard(): it takes the lock held here.
        files_->pending_.erase(file_.id);
        files_->account_bytes_[file_.owner] -= file_.size;
        files_->host_bytes_[host_of(file_.owner)] -= file_.size;
        done_ = true;
        files_->remove_dir(partial);
        return false;
    }
    files_->pending_.erase(pending);
    files_->stored_bytes_ += file_.size;
    files_->files_.emplace(file_.id, file_);
    done_ = true;
    return true;
}

std::optional<StoredFile> UploadFiles::find(const FileRef& ref) const {
    std::lock_guard lock(mutex_);
    auto it = files_.find(ref.id);
    if (it == files_.end() || it->second.filename != ref.filename) return std::nullopt;
    return it->second;
}

std::uint64_t UploadFiles::account_bytes(const std::string& owner) const {
    std::lock_guard lock(mutex_);
    auto it = account_bytes_.find(owner);
    return it == account_bytes_.end() ? 0 : it->second;
}

std::uint64_t UploadFiles::host_bytes(const std::string& host) const {
    std::lock_guard lock(mutex_);
    auto it = host_bytes_.find(host);
    return it == host_bytes_.end() ? 0 : it->second;
}

Usage UploadFiles::usage() const {
    std::lock_guard lock(mutex_);
    return {files_.size(), stored_bytes_};
}

void UploadFiles::forget(const StoredFile& file) {
    account_bytes_[file.owner] -= file.size;
    host_bytes_[host_of(file.owner)] -= file.size;
    stored_bytes_ -= file.size;
    remove_dir(root_ / "files" / file.id);
}

std::size_t UploadFiles::remove_owner(const std::string& owner) {
    std::lock_guard lock(mutex_);
    std::size_t removed = 0;
    for (auto it = files_.begin(); it != files_.end();) {
        if (it->second.owner != owner) {
            ++it;
            continue;
        }
        forget(it->second);
        it = files_.erase(it);
        ++removed;
    }
    for (auto& [id, pending] : pending_)
        if (pending.owner == owner) pending.doomed = true;
    return removed;
}

std::size_t UploadFiles::remove_older_than(std::int64_t cutoff) {
    std::lock_guard lock(mutex_);
    std::size_t removed = 0;
    for (auto it = files_.begin(); it != files_.end();) {
        if (it->second.created >= cutoff) {
            ++it;
            continue;
        }
        forget(it->second);
        it = files_.erase(it);
        ++removed;
    }
    return removed;
}

}  // namespace server::upload
