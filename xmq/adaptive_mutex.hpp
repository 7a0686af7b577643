// AdaptiveMutex: a mutex whose lock() spins a little before it sleeps
// (glibc's PTHREAD_MUTEX_ADAPTIVE_NP). A queue's critical section is short
// (a consumer picked, a copy serialized) and taken once per published
// stanza by every worker at once; with std::mutex a worker that found it
// taken went to sleep in the kernel and its holder had to wake it, two
// system calls and a context switch per contended publish. Meets the
// standard's Lockable requirements; any thread.
#pragma once

#include <pthread.h>

namespace xmq {

class AdaptiveMutex {
public:
    AdaptiveMutex() {
        pthread_mutexattr_t attr;
        pthread_mutexattr_init(&attr);
        pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ADAPTIVE_NP);
        pthread_mutex_init(&mutex_, &attr);
        pthread_mutexattr_destroy(&attr);
    }
    ~AdaptiveMutex() { pthread_mutex_destroy(&mutex_); }
    AdaptiveMutex(const AdaptiveMutex&) = delete;
    AdaptiveMutex& operator=(const AdaptiveMutex&) = delete;

    void lock() { pthread_mutex_lock(&mutex_); }
    bool try_lock() { return pthread_mutex_trylock(&mutex_) == 0; }
    void unlock() { pthread_mutex_unlock(&mutex_); }

private:
    pthread_mutex_t mutex_;
};

}  // namespace xmq
