# frozen_string_literal: true

require "logger"
require "set"

module Batchtrace
  # What the SDK instrumentations (Batchtrace::Anthropic, Batchtrace::OpenAI) share: their
  # export options, the batch objects seen in this process, the collect that runs while a
  # results stream is iterated, and the rule that no error of batchtrace reaches the
  # caller's SDK call (each distinct failure is logged once, the SDK's result returned).
  module Instrumentation
    # Result records waiting for the collect (a full queue waits for the engine to drain).
    QUEUE_RECORDS = 1024
    # Batch objects remembered per instrumentation (the oldest is dropped first).
    REMEMBERED_BATCHES = 256
    # The options start and collect take from instrument!(**options).
    START_OPTIONS = %i[exporter output endpoint protocol store export_timeout].freeze
    COLLECT_OPTIONS = %i[exporter output endpoint protocol store export_timeout convention content
                         max_attribute_bytes].freeze

    class << self
      attr_writer :logger

      # Where failures are logged: a Logger on $stderr unless set.
      def logger
        @logger ||= Logger.new($stderr, progname: "batchtrace")
      end

      # Run the block; a StandardError it raises is logged (once per distinct message) and
      # swallowed. Returns the block's value, or nil after a failure.
      def guarded(what)
        yield
      rescue StandardError => e
        report("#{what}: #{e.message} (#{e.class})")
        nil
      end

      # Log a failure once per distinct message.
      def report(message)
        @reported ||= Set.new
        return unless @reported.add?(message)

        logger.warn("batchtrace: #{message}; the SDK call is unaffected")
      end

      # Forget what was logged (tests).
      def reset_reports
        @reported = Set.new
      end

      # A value of an SDK model (answering #[] with Symbols, or #to_h) or a Hash, by key.
      def field(object, key)
        return object[key] if object.is_a?(Hash) && object.key?(key)
        return object[key.to_s] if object.is_a?(Hash)

        hash = object.respond_to?(:to_h) ? object.to_h : {}
        hash.key?(key) ? hash[key] : hash[key.to_s]
      end

      # Log the spans a start or collect summary says were spooled (an endpoint down).
      # Returns the summary.
      def check_delivery(summary)
        if summary && summary["exit_code"] == Batchtrace::EXIT_EXPORT_FAILED
          report("#{summary.fetch('spans_spooled', 0)} spans were not delivered: spooled in " \
                 "#{summary['store']} (Batchtrace.flush sends them)")
        end
        summary
      end

      # Store value under key in a Hash that keeps the REMEMBERED_BATCHES latest entries.
      def remember(hash, key, value)
        hash.delete(key)
        hash[key] = value
        hash.delete(hash.each_key.first) while hash.size > REMEMBERED_BATCHES
      end

      # Prepend patch to the class at the constant path names (Strings) when every constant
      # on the way is loaded; at most once. Returns whether the class is patched.
      def prepend_to(names, patch)
        klass = names.reduce(Object) do |scope, name|
          return false unless scope.is_a?(Module) && scope.const_defined?(name, false)

          scope.const_get(name, false)
        end
        return false unless klass.is_a?(Class)

        klass.prepend(patch) unless klass <= patch
        true
      end

      # Prepend patch to one object's singleton class, at most once.
      def prepend_to_object(object, patch)
        object.singleton_class.prepend(patch) unless object.singleton_class <= patch
        object
      end

      # Iterate a results stream: each record goes to the caller's block unchanged and, as it
      # passes, to a collect running in a worker thread (its records serialized into a
      # callback source, so memory stays bounded). When the stream ends the collect gets all
      # of it and finishes the batch; when the caller leaves early (break, an exception) it
      # gets what was seen, which the store marks exported, and the rest stays pending for a
      # later call. Ctrl-C stops the collect without exporting (nothing is marked). Returns
      # what the SDK's each returns.
      def each_collected(sdk_each, collect_options, &block)
        run = CollectRun.new(collect_options)
        finished = false
        result = sdk_each.call do |record|
          run.forward(record)
          block.call(record)
        end
        finished = true
        result
      ensure
        interrupted = !finished && !$!.nil? && !$!.is_a?(StandardError)
        run&.close(interrupted ? :abort : :end)
      end
    end

    # One collect fed by a stream's iteration: a worker thread started at the first record,
    # reading the records from a queue through a callback source.
    class CollectRun
      def initialize(options)
        @options = options
        @queue = nil
        @worker = nil
        @broken = false
      end

      # Hand one record to the collect (a String line, else its JSON); after a failure the
      # iteration goes on without it.
      def forward(record)
        return if @broken

        line = Batchtrace.line(record)
        start_worker unless @worker
        @queue.push(line)
      rescue ClosedQueueError
        @broken = true # the collect ended early: its failure is logged by close
      rescue StandardError => e
        @broken = true
        Instrumentation.report("results not collected: #{e.message} (#{e.class})")
        @queue&.close
      end

      # End the input (:end, or :abort to stop the run) and wait for the collect.
      def close(how)
        return unless @worker

        begin
          @queue.push(how)
        rescue ClosedQueueError
          nil
        end
        wait(quiet: how == :abort)
      end

      private

      # The worker: a collect whose results are the queue's lines.
      def start_worker
        @queue = SizedQueue.new(QUEUE_RECORDS)
        queue = @queue
        options = @options
        @worker = Thread.new do
          Thread.current.report_on_exception = false
          Batchtrace.collect(Instrumentation.queue_source(queue), **options)
        ensure
          queue.close
        end
      end

      # The collect's summary (its failure logged unless quiet: an aborted run fails by
      # design); Ctrl-C while it exports interrupts it (what is undelivered is spooled) and is
      # raised again.
      def wait(quiet:)
        Instrumentation.check_delivery(@worker.value)
      rescue Interrupt
        Native.interrupt
        @worker.join rescue nil
        raise
      rescue StandardError => e
        Instrumentation.report("results not collected: #{e.message} (#{e.class})") unless quiet
        nil
      end
    end

    # A callback source over a queue of lines: each call hands over what waits (up to
    # PIECE_BYTES, blocking for the first line), nil once :end is taken, false once :abort is.
    def self.queue_source(queue)
      ended = nil
      lambda do
        return ended == :abort ? false : nil if ended

        piece = +""
        while piece.bytesize < PIECE_BYTES
          item = piece.empty? ? queue.pop : pop_now(queue)
          break if item.nil? && !piece.empty?

          if item.is_a?(Symbol) || item.nil?
            ended = item || :end
            break
          end
          piece << item << "\n"
        end
        return piece unless piece.empty?

        ended == :abort ? false : nil
      end
    end

    # The next item of a queue without waiting, nil when none waits.
    def self.pop_now(queue)
      queue.pop(true)
    rescue ThreadError
      nil
    end
  end
end
