import { IsString, Length } from 'class-validator';

export class JobSearchQueryDto {
  @IsString() @Length(1, 200) q!: string;
}
