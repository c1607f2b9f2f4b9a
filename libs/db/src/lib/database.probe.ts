import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

/** Whether Postgres answers at all: tells "this row is bad" from "the database is gone". */
@Injectable()
export class DatabaseProbe {
  constructor(private readonly dataSource: DataSource) {}

  /** Resolves when Postgres answers a trivial query; rejects with the driver's error otherwise. */
  async ping(): Promise<void> {
    await this.dataSource.query('SELECT 1');
  }

  async answers(): Promise<boolean> {
    try {
      await this.dataSource.query('SELECT 1');
      return true;
    } catch {
      return false;
    }
  }
}
