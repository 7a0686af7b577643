// The upload store of XEP-0363 (server/modules/http_upload_files.hpp): a
// file appears only once its last byte is written, a broken upload leaves
// nothing on disk, a slot takes one file, quotas count uploads in progress,
// and files go with their account or their age; the index survives a
// restart; the secret is made once.
#include <doctest/doctest.h>
#include <sys/stat.h>

#include <fstream>

#include "../../temp_dir.hpp"
#include "server/modules/http_upload_files.hpp"

namespace http_upload_files_test {

namespace fs = std::filesystem;
using server::upload::BeginRefusal;
using server::upload::Slot;
using server::upload::SlotLimits;
using server::upload::UploadFiles;

const SlotLimits kLimits{1000, 100, 150};

Slot slot(std::string id_digit, std::uint64_t size, std::string owner = "juliet@localhost") {
    return Slot{std::string(32, id_digit.front()), "f.txt", size, "text/plain", std::move(owner), 0};
}

std::size_t entries(const fs::path& dir) {
    return static_cast<std::size_t>(std::distance(fs::directory_iterator(dir), fs::directory_iterator()));
}

bool store(UploadFiles& files, const Slot& s, std::int64_t now = 100) {
    auto upload = files.begin(s, "text/plain", kLimits);
    REQUIRE(upload.ok());
    const std::string body(s.size, 'x');
    REQUIRE(upload.value()->write(body.data(), body.size()));
    return upload.value()->commit(now);
}

TEST_CASE("upload files: stored whole, found by id and name, once") {
    test::TempDir dir;
    auto files = UploadFiles::open(dir.path);
    const Slot s = slot("a", 10);
    {
        auto upload = files->begin(s, "text/plain", kLimits);
        REQUIRE(upload.ok());
        CHECK(upload.value()->write("01234", 5));
        CHECK_FALSE(files->find({s.id, "f.txt"}).has_value());  // not before its last byte
        CHECK(files->begin(s, "text/plain", kLimits).error() == BeginRefusal::in_progress);
        CHECK_FALSE(upload.value()->commit(1));  // short
    }
    CHECK(entries(dir.path / "partial") == 0);
    CHECK(store(*files, s));
    const auto found = files->find({s.id, "f.txt"});
    REQUIRE(found.has_value());
    CHECK(found->size == 10);
    CHECK(found->owner == "juliet@localhost");
    CHECK(found->content_type == "text/plain");
    CHECK(fs::file_size(files->data_path(s.id)) == 10);
    CHECK_FALSE(files->find({s.id, "other.txt"}).has_value());
    CHECK(files->begin(s, "text/plain", kLimits).error() == BeginRefusal::exists);
}

TEST_CASE("upload files: a broken upload leaves nothing and gives its bytes back") {
    test::TempDir dir;
    auto files = UploadFiles::open(dir.path);
    const Slot s = slot("b", 50);
    {
        auto upload = files->begin(s, "text/plain", kLimits);
        REQUIRE(upload.ok());
        CHECK(upload.value()->write(std::string(20, 'x').data(), 20));
        CHECK(files->account_bytes("juliet@localhost") == 50);
        CHECK_FALSE(upload.value()->write(std::string(31, 'x').data(), 31));  // past the slot's size
    }
    CHECK(entries(dir.path / "partial") == 0);
    CHECK(entries(dir.path / "files") == 0);
    CHECK(files->account_bytes("juliet@localhost") == 0);
    CHECK(files->host_bytes("localhost") == 0);
}

TEST_CASE("upload files: quotas count stored files and uploads in progress") {
    test::TempDir dir;
    auto files = UploadFiles::open(dir.path);
    CHECK(store(*files, slot("1", 60)));
    auto pending = files->begin(slot("2", 40), "text/plain", kLimits);
    REQUIRE(pending.ok());
    CHECK(files->account_bytes("juliet@localhost") == 100);
    CHECK(files->begin(slot("3", 1), "text/plain", kLimits).error() == BeginRefusal::quota);
    CHECK(store(*files, slot("4", 50, "romeo@localhost")));
    // Host: 60 + 40 + 50 = 150.
    CHECK(files->host_bytes("localhost") == 150);
    CHECK(files->begin(slot("5", 1, "nurse@localhost"), "text/plain", kLimits).error() == BeginRefusal::quota);
    CHECK(files->begin(slot("6", 1, "nurse@elsewhere"), "text/plain", kLimits).ok());
}

TEST_CASE("upload files: removed with the account, by age; the index survives a restart") {
    test::TempDir dir;
    {
        auto files = UploadFiles::open(dir.path);
        CHECK(store(*files, slot("1", 10), 100));
        CHECK(store(*files, slot("2", 20), 200));
        CHECK(store(*files, slot("3", 30, "romeo@localhost"), 300));
        // A leftover of a crash in the middle of an upload.
        fs::create_directories(dir.path / "partial" / std::string(32, '9'));
        std::ofstream(dir.path / "partial" / std::string(32, '9') / "data") << "half";
    }
    auto files = UploadFiles::open(dir.path);
    CHECK(entries(dir.path / "partial") == 0);
    CHECK(files->usage().files == 3);
    CHECK(files->usage().bytes == 60);
    CHECK(files->account_bytes("juliet@localhost") == 30);
    CHECK(files->remove_older_than(250) == 2);
    CHECK(files->usage().files == 1);
    CHECK(files->account_bytes("juliet@localhost") == 0);
    CHECK(files->remove_owner("romeo@localhost") == 1);
    CHECK(files->usage().bytes == 0);
    CHECK(entries(dir.path / "files") == 0);
}

TEST_CASE("upload files: an upload of a deleted account is not kept") {
    test::TempDir dir;
    auto files = UploadFiles::open(dir.path);
    auto upload = files->begin(slot("7", 5), "text/plain", kLimits);
    REQUIRE(upload.ok());
    CHECK(upload.value()->write("12345", 5));
    files->remove_owner("juliet@localhost");
    CHECK_FALSE(upload.value()->commit(1));
    CHECK_FALSE(files->find({std::string(32, '7'), "f.txt"}).has_value());
    CHECK(entries(dir.path / "files") == 0);
    CHECK(entries(dir.path / "partial") == 0);
    CHECK(files->account_bytes("juliet@localhost") == 0);
}

TEST_CASE("upload files: the secret is made once, private, and kept") {
    test::TempDir dir;
    const fs::path path = dir.path / "secret";
    const std::string first = server::upload::upload_secret(path);
    CHECK(first.size() == 32);
    CHECK(server::upload::upload_secret(path) == first);
    struct stat st{};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    std::ofstream(path, std::ios::trunc) << "short";
    CHECK_THROWS_AS(server::upload::upload_secret(path), std::runtime_error);
}

}  // namespace http_upload_files_test
