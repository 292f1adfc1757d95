from rendezvous.cli import main

# Guarded: a worker process that loads the parent's main module again (anyio's process
# pool, which renders group mail) must not run the command line a second time.
if __name__ == "__main__":
    main()
