import { describe, expect, it } from 'vitest';
import { scaleCents } from '../../src/mock/pricing.js';
import { I2V, T2V, client, i2vBody, startServer, submit, type MockServer } from './helpers.js';

async function quote(server: MockServer, model: string, duration: number) {
  const c = client(server);
  return (await c.json(c.post('/api/v3/model/price', { model_id: model, inputs: i2vBody({ duration }) }))).body.data;
}

describe('mock server: prices that differ from the local table', () => {
  it('quotes the table by default, price and discounted_price alike', async () => {
    const server = await startServer();
    expect(await quote(server, I2V, 5)).toMatchObject({ price: 2.1, discounted_price: 2.1 });
  });

  it('with priceFactor, quotes and charges the raised price, rounded half-up to the cent', async () => {
    const server = await startServer({ priceFactor: 1.1 });
    expect(await quote(server, I2V, 5)).toMatchObject({ price: 2.31, discounted_price: 2.31 });
    expect(await quote(server, T2V, 3)).toMatchObject({ price: 1.39 }); // 126 × 1.1 = 138.6
    await submit(server, i2vBody({ duration: 5 }));
    expect(server.stats()).toMatchObject({ chargesCents: 231, balanceCents: 1_000_000 - 231 });
    const c = client(server);
    const billed = await c.json<{ items: { price: number }[] }>(c.post('/api/v3/billings/search', { page: 1, page_size: 10 }));
    expect(billed.body.data.items.map((i) => i.price)).toEqual([2.31]);
  });

  it('refuses a submit the balance covers at the table price but not at the real one', async () => {
    const server = await startServer({ balanceUsd: 2.2, priceFactor: 1.1 });
    const c = client(server);
    const { status, body } = await c.json(c.post(`/api/v3/${I2V}`, i2vBody({ duration: 5 })));
    expect(status).toBe(400);
    expect(body.message).toContain('this task costs $2.31, the balance is $2.20');
    expect(server.stats()).toMatchObject({ submissions: 0, chargesCents: 0 });
  });

  it('with discountFactor, quotes a discounted_price, and still charges price', async () => {
    const server = await startServer({ discountFactor: 0.8 });
    expect(await quote(server, I2V, 15)).toMatchObject({ price: 6.3, discounted_price: 5.04 });
    await submit(server, i2vBody({ duration: 15 }));
    expect(server.stats().chargesCents).toBe(630);
  });

  it('applies both: the discount on the raised price', async () => {
    const server = await startServer({ priceFactor: 1.25, discountFactor: 0.5 });
    expect(await quote(server, I2V, 3)).toMatchObject({ price: 1.58, discounted_price: 0.79 }); // 157.5 → 158 → 79
  });

  it('scales cents exactly, through the decimal text of the factor', () => {
    expect(scaleCents(5, 0.7)).toBe(4); // 3.5, where 5 * 0.7 is 3.4999…
    expect(scaleCents(126, 1.1)).toBe(139);
    expect(scaleCents(210, 1)).toBe(210);
    expect(scaleCents(1, 0.49)).toBe(0);
    expect(scaleCents(630, 1e-7)).toBe(0);
    expect(scaleCents(3, 1.5)).toBe(5);
  });

  it.each([
    [{ priceFactor: 0 }, 'priceFactor must be a number above 0 and at most 100, got 0'],
    [{ discountFactor: 1.2 }, 'discountFactor must be a number above 0 and at most 1, got 1.2'],
  ])('refuses %j', async (options, message) => {
    await expect(startServer(options)).rejects.toThrow(message);
  });
});
