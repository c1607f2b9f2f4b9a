import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Test, TestingModule } from '@nestjs/testing';
import { DataSource, Repository } from 'typeorm';
import { createTestDatabase, TestDatabase } from '../testing';
import { DbModule } from './db.module';
import { UserEntity } from './entities/user.entity';

@Injectable()
class UsersProbe {
  constructor(
    @InjectRepository(UserEntity) readonly users: Repository<UserEntity>,
    readonly dataSource: DataSource,
  ) {}
}

describe('DbModule', () => {
  let database: TestDatabase;
  let moduleRef: TestingModule | undefined;

  beforeAll(async () => {
    database = await createTestDatabase();
  });

  afterAll(async () => {
    await moduleRef?.close();
    await database?.drop();
  });

  it('gives any module repositories and the DataSource, with the pool named after the app', async () => {
    moduleRef = await Test.createTestingModule({
      imports: [DbModule.forRoot({ url: database.url, poolMode: database.poolMode, poolSize: 3, applicationName: 'db-module-spec' })],
      providers: [UsersProbe],
    }).compile();
    const probe = moduleRef.get(UsersProbe);
    expect(await probe.users.count()).toBe(0);
    const rows: { application_name: string }[] = await probe.dataSource.query('SELECT application_name FROM pg_stat_activity WHERE pid = pg_backend_pid()');
    expect(rows).toEqual([{ application_name: 'db-module-spec' }]);
    expect(probe.dataSource.options.synchronize).toBe(false);
  });
});
