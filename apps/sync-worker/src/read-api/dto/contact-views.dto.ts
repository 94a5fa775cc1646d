import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class HealthScoreFactorDto {
  @ApiProperty({
    enum: ['recency', 'overdueTasks', 'nextAppointment', 'reachability', 'stageTags'],
  })
  factor: string;

  @ApiProperty({ description: 'The most points this factor gives (the weights add up to 100).' })
  weight: number;

  @ApiProperty({ description: 'The points this factor gave.' })
  points: number;

  @ApiProperty({ type: 'object', additionalProperties: true, description: 'Why it gave them.' })
  detail: Record<string, unknown>;
}

export class HealthScoreDto {
  @ApiProperty({ minimum: 0, maximum: 100 })
  score: number;

  @ApiProperty({ type: [HealthScoreFactorDto] })
  factors: HealthScoreFactorDto[];

  @ApiProperty({ enum: ['sync', 'refresh', 'settings'] })
  trigger: string;

  @ApiProperty({ format: 'date-time' })
  computedAt: string;
}

export class TaskDto {
  @ApiProperty() id: string;
  @ApiPropertyOptional({ nullable: true, type: String }) title: string | null;
  @ApiPropertyOptional({ nullable: true, type: String }) body: string | null;
  @ApiPropertyOptional({ nullable: true, type: String }) assignedTo: string | null;
  @ApiPropertyOptional({ nullable: true, type: String, format: 'date-time' })
  dueDate: string | null;
  @ApiProperty() completed: boolean;
  @ApiPropertyOptional({ nullable: true, type: String, format: 'date-time' })
  completedAt: string | null;
}

export class NoteDto {
  @ApiProperty() id: string;
  @ApiPropertyOptional({ nullable: true, type: String }) body: string | null;
  @ApiPropertyOptional({ nullable: true, type: String }) userId: string | null;
  @ApiPropertyOptional({ nullable: true, type: String, format: 'date-time' })
  dateAdded: string | null;
}

export class AppointmentDto {
  @ApiProperty() id: string;
  @ApiPropertyOptional({ nullable: true, type: String }) calendarId: string | null;
  @ApiPropertyOptional({ nullable: true, type: String }) title: string | null;
  @ApiPropertyOptional({ nullable: true, type: String, description: "GHL's appointmentStatus" })
  status: string | null;
  @ApiPropertyOptional({ nullable: true, type: String, format: 'date-time' })
  startTime: string | null;
  @ApiPropertyOptional({ nullable: true, type: String, format: 'date-time' })
  endTime: string | null;
}

export class TimelineEntryDto {
  @ApiProperty() id: string;
  @ApiProperty({ example: 'task.completed' }) kind: string;
  @ApiProperty({ enum: ['contact', 'task', 'note', 'appointment'] }) recordType: string;
  @ApiProperty() recordId: string;
  @ApiProperty({ format: 'date-time' }) occurredAt: string;
  @ApiProperty({ type: 'object', additionalProperties: true }) details: Record<string, unknown>;
}

export class TimelinePageDto {
  @ApiProperty({ type: [TimelineEntryDto] }) data: TimelineEntryDto[];
  @ApiPropertyOptional({ nullable: true, type: String, description: 'Pass as `cursor` for more.' })
  nextCursor: string | null;
}

export class ContactDto {
  @ApiProperty() locationId: string;
  @ApiProperty() id: string;
  @ApiPropertyOptional({ nullable: true, type: String }) name: string | null;
  @ApiPropertyOptional({ nullable: true, type: String }) firstName: string | null;
  @ApiPropertyOptional({ nullable: true, type: String }) lastName: string | null;
  @ApiPropertyOptional({ nullable: true, type: String }) email: string | null;
  @ApiPropertyOptional({
    nullable: true,
    type: String,
    description: "E.164 where GHL's number is valid (no extension), else as GHL wrote it.",
  })
  phone: string | null;
  @ApiPropertyOptional({
    nullable: true,
    type: String,
    description: 'The extension GHL wrote after a valid number, digits only.',
  })
  phoneExtension: string | null;
  @ApiPropertyOptional({ nullable: true, type: String }) source: string | null;
  @ApiPropertyOptional({ nullable: true, type: String }) assignedTo: string | null;
  @ApiProperty() dnd: boolean;
  @ApiProperty({ type: [String] }) tags: string[];
  @ApiProperty({ type: 'object', additionalProperties: true }) customFields: Record<
    string,
    unknown
  >;
  @ApiProperty({ format: 'date-time', description: 'The version SolarMarket holds.' })
  updatedAt: string;
  @ApiPropertyOptional({ nullable: true, type: HealthScoreDto }) healthScore: HealthScoreDto | null;
}

export class ContactDetailDto extends ContactDto {
  @ApiProperty({ type: [TaskDto] }) tasks: TaskDto[];
  @ApiProperty({ type: [NoteDto] }) notes: NoteDto[];
  @ApiProperty({ type: [AppointmentDto] }) appointments: AppointmentDto[];
  @ApiProperty({
    type: TimelinePageDto,
    description: 'The newest entries; page on with /timeline.',
  })
  timeline: TimelinePageDto;
}

export class ContactListDto {
  @ApiProperty({ type: [ContactDto] }) data: ContactDto[];
  @ApiPropertyOptional({ nullable: true, type: String, description: 'Pass as `cursor` for more.' })
  nextCursor: string | null;
}

export class HealthScoreDetailDto {
  @ApiPropertyOptional({ nullable: true, type: HealthScoreDto }) current: HealthScoreDto | null;
  @ApiProperty({ type: [HealthScoreDto], description: 'Newest first.' })
  history: HealthScoreDto[];
}

export class HealthScoreSettingsDto {
  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'integer' },
    example: {
      recency: 30,
      overdueTasks: 20,
      nextAppointment: 20,
      reachability: 15,
      stageTags: 15,
    },
  })
  weights: Record<string, number>;
  @ApiProperty() recencyFullDays: number;
  @ApiProperty() recencyZeroDays: number;
  @ApiProperty() overdueTaskLimit: number;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'number' } })
  stageTags: Record<string, number>;
}
