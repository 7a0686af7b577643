#include "server/core/storage_executor.hpp"

#include <exception>
#include <future>
#include <vector>

#include "server/store/storage.hpp"
#include "server/system/log.hpp"

namespace server {

StorageExecutor::StorageExecutor() : thread_([this] { loop(); }) {}

StorageExecutor::~StorageExecutor() { stop(); }

void StorageExecutor::group_commits(store::Storage& stores) {
    std::lock_guard lock(mutex_);
    stores_ = &stores;
}

void StorageExecutor::enqueue(std::unique_ptr<Job> job) {
    {
        std::lock_guard lock(mutex_);
        if (ended_) return;  // stopped: dropped, as by an io_context that has stopped
        queue_.push_back(std::move(job));
        ++enqueued_;
    }
    wake_.notify_one();
}

void StorageExecutor::loop() {
    for (;;) {
        std::deque<std::unique_ptr<Job>> batch;
        {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
            if (queue_.empty()) {  // stopping, and nothing left
                ended_ = true;
                return;
            }
            while (!queue_.empty() && batch.size() < kMaxBatch) {
                batch.push_back(std::move(queue_.front()));
                queue_.pop_front();
            }
        }
        run_batch(batch);
    }
}

void StorageExecutor::run_batch(std::deque<std::unique_ptr<Job>>& jobs) {
    store::Storage* stores = nullptr;
    {
        std::lock_guard lock(mutex_);
        stores = stores_;
    }
    while (!jobs.empty()) {
        if (!jobs.front()->grouped()) {
            auto job = std::move(jobs.front());
            jobs.pop_front();
            job->work();
            job->settle(true);
            continue;
        }
        // The grouped jobs up to the next alone one share one commit.
        std::unique_ptr<store::CommitGroup> group = stores ? stores->begin_group() : nullptr;
        std::vector<std::pair<std::unique_ptr<Job>, bool>> done;  // each with whether it ran to its end
        while (!jobs.empty() && jobs.front()->grouped()) {
            auto job = std::move(jobs.front());
            jobs.pop_front();
            const bool scoped = group && group->begin_job();
            bool ok = true;
            try {
                job->work();
            } catch (const std::exception& e) {
                XLOG(error) << "storage job failed: " << e.what();
                ok = false;
            } catch (...) {
                XLOG(error) << "storage job failed";
                ok = false;
            }
            if (scoped) group->end_job(ok);
            if (!group) {  // its store calls have committed on their own
                job->settle(ok);
                continue;
            }
            done.emplace_back(std::move(job), ok);
            if (!group->intact()) break;  // lost: the jobs after it go into a new group
        }
        if (!group) continue;
        const bool committed = group->commit();
        if (!committed) {
            XLOG(error) << "storage commit failed: the writes of " << done.size() << " jobs are lost";
        }
        group.reset();  // a group that failed is rolled back before anyone hears of it
        for (auto& [job, ok] : done) job->settle(committed && ok);
    }
}

void StorageExecutor::drain() {
    // Again while the jobs drained posted others (a PEP request posts its
    // grouped write): until a pass ends with nothing new queued.
    for (;;) {
        std::size_t before = 0;
        {
            std::lock_guard lock(mutex_);
            before = enqueued_;
        }
        std::promise<void> done;
        auto signal = [&done] { return [&done](bool) { done.set_value(); }; };
        enqueue(std::make_unique<PostedJob<decltype(signal)>>(signal));
        done.get_future().wait();
        std::lock_guard lock(mutex_);
        if (enqueued_ == before + 1 || ended_) return;
    }
}

void StorageExecutor::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_one();
    if (thread_.joinable()) thread_.join();
}

}  // namespace server
