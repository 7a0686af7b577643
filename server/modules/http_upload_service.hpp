// UploadService: what the module http_upload (XEP-0363) and the HTTP
// listener share. The module makes it at start-up (ModuleHost::shared) and
// hands out slots through it; the HTTP connections find it with
// ModuleHost::find_shared and take PUT and GET on /upload/ through it (no
// service: the module is off, /upload/ is not served). Its settings are
// fixed at start-up; the file store is thread-safe; callable from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "conf/config.hpp"
#include "server/modules/http_upload_files.hpp"
#include "server/modules/http_upload_slot.hpp"
#include "server/modules/http_upload_url.hpp"

namespace server::upload {

struct UploadSettings {
    SlotLimits limits;
    std::int64_t slot_lifetime = 300;      // seconds a PUT URL is valid
    std::int64_t expiry = 0;               // seconds a file is kept; 0: until its account goes
    std::uint64_t min_upload_rate = 0;     // bytes per second a PUT body must keep up on average
    // Per served host: "https://host:port" that the URLs start with.
    std::map<std::string, std::string, std::less<>> base_urls;
};

// "https://HOST:PORT" per served host, from http.upload_url or the first
// https (else http) listener; empty when there is no HTTP listener.
inline std::map<std::string, std::string, std::less<>> base_urls(const conf::Config& config) {
    std::map<std::string, std::string, std::less<>> urls;
    const conf::ListenerConfig* listener = nullptr;
    for (const auto kind : {conf::ListenerKind::https, conf::ListenerKind::http})
        for (const auto& l : config.listeners)
            if (!listener && l.kind == kind) listener = &l;
    for (const auto& h : config.hosts) {
        if (!config.http.upload_url.empty())
            urls[h.domain] = config.http.upload_url;
        else if (listener)
            urls[h.domain] = std::string(listener->kind == conf::ListenerKind::https ? "https://" : "http://") +
                             h.domain + ":" + std::to_string(listener->port);
    }
    return urls;
}

class UploadService {
public:
    UploadService(UploadSettings settings, std::string secret, std::shared_ptr<UploadFiles> files)
        : settings_(std::move(settings)), signer_(std::move(secret)), files_(std::move(files)) {}

    const UploadSettings& settings() const { return settings_; }
    const UrlSigner& signer() const { return signer_; }
    UploadFiles& files() { return *files_; }

    // Removes expired files when the last sweep is kSweepInterval old (the
    // module and the HTTP side call it as they work): returns how many.
    std::size_t sweep_if_due(std::int64_t now) {
        if (settings_.expiry <= 0) return 0;
        std::int64_t last = last_sweep_.load();
        if (last != 0 && now - last < kSweepInterval) return 0;
        if (!last_sweep_.compare_exchange_strong(last, now)) return 0;  // another thread sweeps
        return files_->remove_older_than(now - settings_.expiry);
    }

    static constexpr std::int64_t kSweepInterval = 600;  // seconds

private:
    const UploadSettings settings_;
    const UrlSigner signer_;
    std::shared_ptr<UploadFiles> files_;
    std::atomic<std::int64_t> last_sweep_{0};
};

}  // namespace server::upload
