import { GraphQLInt, GraphQLObjectType, GraphQLSchema, GraphQLString, parse, type ExecutionResult } from 'graphql';
import { describe, expect, it } from 'vitest';
import { SharedSubscriptions } from './shared-subscriptions.js';

/** A source of events that many subscriptions listen to, as the job change hub is. */
class Events {
  private readonly listeners = new Set<{ push: (e: object) => void; end: () => void }>();
  ended = 0;

  iterator(): AsyncIterableIterator<object> {
    const queue: object[] = [];
    let waiting: ((r: IteratorResult<object>) => void) | undefined;
    let done = false;
    const listener = {
      push: (e: object) => (waiting ? (waiting({ value: e, done: false }), (waiting = undefined)) : queue.push(e)),
      end: () => {
        done = true;
        waiting?.({ value: undefined, done: true });
      },
    };
    this.listeners.add(listener);
    const it: AsyncIterableIterator<object> = {
      next: () =>
        queue.length > 0
          ? Promise.resolve({ value: queue.shift()!, done: false })
          : done
            ? Promise.resolve({ value: undefined, done: true })
            : new Promise((resolve) => (waiting = resolve)),
      return: () => {
        this.ended += 1;
        this.listeners.delete(listener);
        listener.end();
        return Promise.resolve({ value: undefined, done: true });
      },
      [Symbol.asyncIterator]: () => it,
    };
    return it;
  }

  publish(event: object): void {
    for (const l of this.listeners) l.push(event);
  }
}

function schemaCounting(events: Events, calls: { n: number }): GraphQLSchema {
  const Change = new GraphQLObjectType({
    name: 'Change',
    fields: {
      n: { type: GraphQLInt },
      label: {
        type: GraphQLString,
        resolve: (e: { n: number }, _args, ctx: { who: string }) => {
          calls.n += 1;
          return `${ctx.who}:${e.n}`;
        },
      },
    },
  });
  return new GraphQLSchema({
    query: new GraphQLObjectType({ name: 'Query', fields: { ok: { type: GraphQLInt, resolve: () => 1 } } }),
    subscription: new GraphQLObjectType({
      name: 'Subscription',
      fields: { changed: { type: Change, subscribe: () => events.iterator(), resolve: (e: unknown) => e } },
    }),
  });
}

const QUERY = 'subscription { changed { n label } }';

describe('SharedSubscriptions', () => {
  it('should execute an event once for every subscription of the same key, and apart for another key', async () => {
    const events = new Events();
    const calls = { n: 0 };
    const schema = schemaCounting(events, calls);
    const shared = new SharedSubscriptions();
    const subscribe = async (who: string, key: string) => {
      const contextValue = { who };
      shared.share(contextValue, key);
      return (await shared.subscribe({ schema, document: parse(QUERY), contextValue })) as AsyncIterableIterator<ExecutionResult>;
    };
    const admins = await Promise.all(['a1', 'a2', 'a3'].map((who) => subscribe(who, 'admin')));
    const user = await subscribe('u1', 'user:u1');

    const event = { n: 7 };
    events.publish(event);
    const results = await Promise.all([...admins, user].map((it) => it.next()));
    // The three admins got one result, computed by whichever took the event first.
    expect(calls.n).toBe(2);
    expect(results[0]!.value).toBe(results[1]!.value);
    expect(results[1]!.value).toBe(results[2]!.value);
    expect(results[0]!.value).toEqual({ data: { changed: { n: 7, label: 'a1:7' } } });
    expect(results[3]!.value).toEqual({ data: { changed: { n: 7, label: 'u1:7' } } });

    // A new event is a new execution, even with an equal payload.
    events.publish({ n: 7 });
    await Promise.all([...admins, user].map((it) => it.next()));
    expect(calls.n).toBe(4);
  });

  it('should execute for each subscription without a key', async () => {
    const events = new Events();
    const calls = { n: 0 };
    const schema = schemaCounting(events, calls);
    const shared = new SharedSubscriptions();
    const its = await Promise.all(
      ['x', 'y'].map(async (who) => (await shared.subscribe({ schema, document: parse(QUERY), contextValue: { who } })) as AsyncIterableIterator<ExecutionResult>),
    );
    events.publish({ n: 1 });
    const [x, y] = await Promise.all(its.map((it) => it.next()));
    expect(calls.n).toBe(2);
    expect(x!.value).toEqual({ data: { changed: { n: 1, label: 'x:1' } } });
    expect(y!.value).toEqual({ data: { changed: { n: 1, label: 'y:1' } } });
  });

  it('should end the source at once when the subscription ends, even while it waits for an event', async () => {
    const events = new Events();
    const schema = schemaCounting(events, { n: 0 });
    const shared = new SharedSubscriptions();
    const contextValue = { who: 'a' };
    shared.share(contextValue, 'admin');
    const it = (await shared.subscribe({ schema, document: parse(QUERY), contextValue })) as AsyncIterableIterator<ExecutionResult>;
    const pending = it.next();
    await it.return!();
    expect(events.ended).toBe(1);
    expect(await pending).toEqual({ value: undefined, done: true });
  });

  it('should answer a subscription that cannot start with its errors', async () => {
    const events = new Events();
    const schema = schemaCounting(events, { n: 0 });
    const result = await new SharedSubscriptions().subscribe({ schema, document: parse('subscription { nope }') });
    expect((result as ExecutionResult).errors?.[0]?.message).toMatch(/nope/);
  });
});
