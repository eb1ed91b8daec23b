// The demo shop's database: a real in-memory SQLite (better-sqlite3) seeded from a PRNG, so every
// run sells the same catalogue. Each query a request makes is recorded as an OTel client span
// (db.* semantic conventions) under the request's span. A small share of queries fails with a
// simulated SQLITE_BUSY, the most common real-world SQLite failure, so the dashboard has errors.
import Database from 'better-sqlite3';
import type { DemoRandom } from './prng.js';
import type { DemoTelemetry } from './telemetry.js';

export interface Product {
  id: number;
  name: string;
  category: string;
  priceCents: number;
  stock: number;
  description: string;
}

export interface CategorySales {
  category: string;
  orders: number;
  revenueCents: number;
  avgQuantity: number;
}

/** A failure the demo injects; carries SQLite's error code like better-sqlite3's SqliteError. */
export class DemoDbFault extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'SqliteError';
    this.code = code;
  }
}

export const CATEGORIES: readonly string[] = ['books', 'games', 'garden', 'kitchen', 'music', 'outdoor', 'toys', 'tools'];
const ADJECTIVES = ['Amber', 'Brisk', 'Cosy', 'Dapper', 'Electric', 'Frosty', 'Golden', 'Humble', 'Iron', 'Jolly', 'Lunar', 'Mellow', 'Nimble', 'Rustic', 'Silent', 'Velvet'];
const NOUNS = ['Lantern', 'Kettle', 'Compass', 'Notebook', 'Puzzle', 'Trowel', 'Ukulele', 'Backpack', 'Skillet', 'Wrench', 'Chess Set', 'Hammock', 'Teapot', 'Kite', 'Atlas', 'Planter'];
const FEATURES = ['hand-made', 'recycled', 'waterproof', 'gift-wrapped', 'limited edition', 'lightweight', 'extra durable', 'award-winning'];

const PRODUCT_COLUMNS = 'id, name, category, price_cents AS priceCents, stock, description';
const SQL = {
  list: `SELECT ${PRODUCT_COLUMNS} FROM products ORDER BY id LIMIT ?`,
  listByCategory: `SELECT ${PRODUCT_COLUMNS} FROM products WHERE category = ? ORDER BY id LIMIT ?`,
  byId: `SELECT ${PRODUCT_COLUMNS} FROM products WHERE id = ?`,
  search: `SELECT ${PRODUCT_COLUMNS} FROM products WHERE name LIKE ? ESCAPE '\\' OR description LIKE ? ESCAPE '\\' ORDER BY name LIMIT 20`,
  insertOrder: 'INSERT INTO orders (product_id, quantity, total_cents, status, created_ms) VALUES (?, ?, ?, ?, ?)',
  orderStatus: 'UPDATE orders SET status = ? WHERE id = ?',
  takeStock: 'UPDATE products SET stock = stock - ? WHERE id = ? AND stock >= ?',
  restock: 'UPDATE products SET stock = stock + ? WHERE id = ?',
  insertPayment: 'INSERT INTO payments (order_id, amount_cents, outcome, created_ms) VALUES (?, ?, ?, ?)',
  salesReport: `SELECT p.category AS category, COUNT(*) AS orders, SUM(o.total_cents) AS revenueCents, AVG(o.quantity) AS avgQuantity
FROM orders o JOIN products p ON p.id = o.product_id WHERE o.status = 'paid' GROUP BY p.category ORDER BY revenueCents DESC`,
} as const;

export interface DemoDbOptions {
  productCount: number;
  /** Seeded order history, so the sales report has something to add up. */
  historicOrders: number;
  /** Probability that one query fails with a simulated SQLITE_BUSY. */
  faultRate: number;
}

export class DemoDb {
  readonly productCount: number;
  private readonly db: Database.Database;
  private readonly tel: DemoTelemetry;
  private readonly paymentsTel: DemoTelemetry;
  private readonly faults: DemoRandom;
  private readonly faultRate: number;
  private readonly statements = new Map<string, Database.Statement>();

  /** tel: the shop's telemetry; paymentsTel: the payment provider's, whose ledger shares this database. */
  constructor(tel: DemoTelemetry, paymentsTel: DemoTelemetry, random: DemoRandom, opts: DemoDbOptions) {
    this.tel = tel;
    this.paymentsTel = paymentsTel;
    this.faults = random;
    this.faultRate = opts.faultRate;
    this.productCount = opts.productCount;
    this.db = new Database(':memory:');
    this.db.exec(`
      CREATE TABLE products (id INTEGER PRIMARY KEY, name TEXT NOT NULL, category TEXT NOT NULL, price_cents INTEGER NOT NULL,
                             stock INTEGER NOT NULL, description TEXT NOT NULL);
      CREATE INDEX products_category ON products (category);
      CREATE TABLE orders (id INTEGER PRIMARY KEY, product_id INTEGER NOT NULL REFERENCES products (id), quantity INTEGER NOT NULL,
                           total_cents INTEGER NOT NULL, status TEXT NOT NULL, created_ms INTEGER NOT NULL);
      CREATE TABLE payments (id INTEGER PRIMARY KEY, order_id INTEGER NOT NULL, amount_cents INTEGER NOT NULL, outcome TEXT NOT NULL,
                             created_ms INTEGER NOT NULL);`);
    this.seed(random, opts);
  }

  private seed(random: DemoRandom, opts: DemoDbOptions): void {
    const insertProduct = this.db.prepare('INSERT INTO products (id, name, category, price_cents, stock, description) VALUES (?, ?, ?, ?, ?, ?)');
    const insertOrder = this.db.prepare(SQL.insertOrder);
    const prices: number[] = [];
    const nowMs = Date.now();
    this.db.transaction(() => {
      for (let id = 1; id <= opts.productCount; id++) {
        const name = `${random.pick(ADJECTIVES)} ${random.pick(NOUNS)}`;
        const price = random.int(299, 14_999);
        prices.push(price);
        const description = `A ${random.pick(FEATURES)}, ${random.pick(FEATURES)} ${name.toLowerCase()}.`;
        insertProduct.run(id, name, random.pick(CATEGORIES), price, random.int(5, 200), description);
      }
      for (let i = 0; i < opts.historicOrders; i++) {
        const productId = random.int(1, opts.productCount);
        const quantity = random.int(1, 4);
        insertOrder.run(productId, quantity, quantity * prices[productId - 1], random.chance(0.95) ? 'paid' : 'declined', nowMs - random.int(0, 30 * 86_400_000));
      }
    })();
  }

  listProducts(category: string | undefined, limit: number): Product[] {
    if (category === undefined) return this.run('SELECT', 'products', SQL.list, (s) => s.all(limit) as Product[], rowsOf);
    return this.run('SELECT', 'products', SQL.listByCategory, (s) => s.all(category, limit) as Product[], rowsOf);
  }

  product(id: number): Product | undefined {
    return this.run('SELECT', 'products', SQL.byId, (s) => s.get(id) as Product | undefined, (p) => (p === undefined ? 0 : 1));
  }

  search(text: string): Product[] {
    const pattern = `%${text.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;
    return this.run('SELECT', 'products', SQL.search, (s) => s.all(pattern, pattern) as Product[], rowsOf);
  }

  createOrder(productId: number, quantity: number, totalCents: number): number {
    return this.run('INSERT', 'orders', SQL.insertOrder, (s) => Number(s.run(productId, quantity, totalCents, 'pending', Date.now()).lastInsertRowid));
  }

  setOrderStatus(orderId: number, status: 'paid' | 'declined' | 'failed'): void {
    this.run('UPDATE', 'orders', SQL.orderStatus, (s) => s.run(status, orderId));
  }

  /** Takes quantity units off the shelf; false when there are not enough. */
  takeStock(productId: number, quantity: number): boolean {
    return this.run('UPDATE', 'products', SQL.takeStock, (s) => s.run(quantity, productId, quantity).changes === 1);
  }

  restock(productId: number, quantity: number): void {
    this.run('UPDATE', 'products', SQL.restock, (s) => s.run(quantity, productId));
  }

  recordPayment(orderId: number, amountCents: number, outcome: string): void {
    this.run('INSERT', 'payments', SQL.insertPayment, (s) => s.run(orderId, amountCents, outcome, Date.now()), undefined, this.paymentsTel);
  }

  /** The expensive one: a join and aggregate over the whole order history. */
  salesReport(): CategorySales[] {
    return this.run('SELECT', 'orders', SQL.salesReport, (s) => s.all() as CategorySales[], rowsOf);
  }

  close(): void {
    this.db.close();
  }

  private run<T>(operation: string, table: string, sql: string, exec: (stmt: Database.Statement) => T, rows?: (out: T) => number, tel = this.tel): T {
    const span = tel.startSpan(`${operation} ${table}`, 'client', {
      'db.system.name': 'sqlite',
      'db.namespace': 'shop',
      'db.operation.name': operation,
      'db.collection.name': table,
      'db.query.text': sql,
    });
    try {
      if (this.faults.chance(this.faultRate)) throw new DemoDbFault('SQLITE_BUSY', 'database is locked');
      let stmt = this.statements.get(sql);
      if (stmt === undefined) {
        stmt = this.db.prepare(sql);
        this.statements.set(sql, stmt);
      }
      const out = exec(stmt);
      span.end(rows === undefined ? undefined : { attributes: { 'db.response.returned_rows': rows(out) } });
      return out;
    } catch (err) {
      span.end({ error: err, errorType: (err as { code?: string }).code });
      throw err;
    }
  }
}

function rowsOf(rows: readonly unknown[]): number {
  return rows.length;
}
